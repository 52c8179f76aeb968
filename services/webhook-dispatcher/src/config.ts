import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  ConfigError,
  configHelp,
  databaseConfig,
  envBoolean,
  envInt,
  envPort,
  loadConfig,
} from '@readur/config';

/** An optional variable that compose files pass as `""` when the operator left it out. */
const unsetWhenEmpty = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

/** Every variable the webhook dispatcher reads, validated once at start-up. */
export const webhookConfigShape = {
  ...baseConfig,
  ...databaseConfig,
  ...busConfig,
  PORT: envPort(8084),
  PROMETHEUS_PORT: envPort(9104),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  WEBHOOK_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters'),
  WEBHOOK_ENABLED: envBoolean(false),
  WEBHOOK_URL: unsetWhenEmpty(z.url().optional()),
  WEBHOOK_SECRET: unsetWhenEmpty(z.string().min(16, 'must be at least 16 characters').optional()),
  WEBHOOK_RETRY_ATTEMPTS: envInt(3, 1),
  WEBHOOK_TIMEOUT: envInt(30, 1),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: envBoolean(false),
  WEBHOOK_ALLOW_HTTP: envBoolean(false),
  WEBHOOK_RETRY_BASE_DELAY_MS: envInt(10_000, 1),
  WEBHOOK_RETRY_MAX_DELAY_MS: envInt(3_600_000, 1),
  WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT: envInt(8, 1),
  WEBHOOK_BREAKER_THRESHOLD: envInt(5, 1),
  WEBHOOK_BREAKER_COOLDOWN_SECONDS: envInt(30, 1),
  WEBHOOK_POLL_INTERVAL_MS: envInt(500, 10),
};

/** The parsed configuration of the webhook dispatcher. */
export type WebhookConfig = z.infer<z.ZodObject<typeof webhookConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable, cross-field rules included. */
export function loadWebhookConfig(
  env: Record<string, string | undefined> = process.env,
): WebhookConfig {
  const config = loadConfig(webhookConfigShape, env);

  const problems: string[] = [];
  if (config.WEBHOOK_ENABLED && !config.WEBHOOK_URL) {
    problems.push('WEBHOOK_URL: required when WEBHOOK_ENABLED is true');
  }
  if (config.WEBHOOK_ENABLED && !config.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET: required when WEBHOOK_ENABLED is true');
  }
  if (config.WEBHOOK_RETRY_MAX_DELAY_MS < config.WEBHOOK_RETRY_BASE_DELAY_MS) {
    problems.push('WEBHOOK_RETRY_MAX_DELAY_MS: must not be below WEBHOOK_RETRY_BASE_DELAY_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const DESCRIPTIONS: Record<string, string> = {
  PORT: 'HTTP port of the subscription API',
  DATABASE_URL: 'PostgreSQL connection string (required)',
  INTERNAL_API_TOKEN: 'shared secret between the gateway and services (required)',
  WEBHOOK_ENCRYPTION_KEY: 'key that encrypts webhook secrets at rest, 32+ characters (required)',
  WEBHOOK_ENABLED: 'deliver every event to the operator webhook WEBHOOK_URL',
  WEBHOOK_URL: 'the operator webhook (required when WEBHOOK_ENABLED)',
  WEBHOOK_SECRET: 'its signing secret (required when WEBHOOK_ENABLED)',
  WEBHOOK_RETRY_ATTEMPTS: 'attempts per delivery, the first included',
  WEBHOOK_TIMEOUT: 'seconds one attempt may take',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: "allow users' webhooks on loopback/private addresses",
  WEBHOOK_ALLOW_HTTP: "allow users' webhooks over plain http",
  WEBHOOK_RETRY_BASE_DELAY_MS: 'first retry delay; doubles per attempt, with jitter',
  WEBHOOK_RETRY_MAX_DELAY_MS: 'longest retry delay (also caps Retry-After)',
  WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT: 'requests in flight to one webhook at a time',
  WEBHOOK_BREAKER_THRESHOLD: 'consecutive failures that open a webhook circuit breaker',
  WEBHOOK_BREAKER_COOLDOWN_SECONDS: 'how long an open breaker waits before a trial request',
  WEBHOOK_POLL_INTERVAL_MS: 'how often the delivery table is polled when nothing wakes it',
};

/** The `--help` text: every variable with its default. */
export function webhookConfigHelp(): string {
  return configHelp(webhookConfigShape, {
    title: 'readur webhook-dispatcher: signed, retried webhook deliveries of every event',
    entry: 'services/webhook-dispatcher/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
