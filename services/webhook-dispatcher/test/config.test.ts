import { ConfigError } from '@readur/config';
import { loadWebhookConfig } from '../src';

const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/readur',
  INTERNAL_API_TOKEN: 'config-test-internal-token',
  WEBHOOK_ENCRYPTION_KEY: 'config-test-encryption-key-0123456789',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadWebhookConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('webhook-dispatcher configuration', () => {
  it('when nothing is set, then the defaults of the documented variables apply', () => {
    const config = loadWebhookConfig(base);

    expect(config).toMatchObject({
      PORT: 8084,
      PROMETHEUS_PORT: 9104,
      WEBHOOK_ENABLED: false,
      WEBHOOK_RETRY_ATTEMPTS: 3,
      WEBHOOK_TIMEOUT: 30,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: false,
      WEBHOOK_ALLOW_HTTP: false,
    });
  });

  it('when the global webhook is enabled without URL and secret, then every problem is listed at once', () => {
    const problems = problemsOf({
      ...base,
      WEBHOOK_ENABLED: 'true',
      WEBHOOK_URL: '',
      WEBHOOK_SECRET: '',
    });

    expect(problems).toEqual([
      'WEBHOOK_URL: required when WEBHOOK_ENABLED is true',
      'WEBHOOK_SECRET: required when WEBHOOK_ENABLED is true',
    ]);
  });

  it('when secrets are missing or short, then each is named', () => {
    const problems = problemsOf({
      DATABASE_URL: base.DATABASE_URL,
      INTERNAL_API_TOKEN: 'short',
      WEBHOOK_TIMEOUT: '0',
    });

    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'INTERNAL_API_TOKEN',
      'WEBHOOK_ENCRYPTION_KEY',
      'WEBHOOK_TIMEOUT',
    ]);
  });
});
