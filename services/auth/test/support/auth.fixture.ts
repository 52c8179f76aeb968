import { createLogger } from '@readur/logger';
import { uniqueName } from '@readur/testkit';
import { loadAuthConfig, type AuthConfig } from '../../src/config';
import { startAuthService, type RunningAuthService } from '../../src/service';

/** The internal token every test service shares. */
export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

/** A config for an in-process auth service on a free port. */
export function authTestConfig(
  databaseUrl: string,
  exchange: string,
  env: Record<string, string> = {},
): AuthConfig {
  return loadAuthConfig({
    PORT: '0',
    DATABASE_URL: databaseUrl,
    AMQP_EXCHANGE: exchange,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** A started auth service and what it printed once. */
export interface TestAuthService extends RunningAuthService {
  url: string;
  announcements: string[];
}

/** Starts the real auth service in-process. */
export async function startTestAuth(config: AuthConfig): Promise<TestAuthService> {
  const announcements: string[] = [];
  const service = await startAuthService(config, {
    logger: createLogger('auth', 'silent'),
    announce: (line) => announcements.push(line),
  });
  return { ...service, url: `http://127.0.0.1:${service.port}`, announcements };
}

/** A fresh username for one test. */
export function newUsername(): string {
  return uniqueName('user').slice(0, 40);
}

/** A password the policy accepts. */
export const GOOD_PASSWORD = 'correct-horse-battery-staple';

/** POSTs JSON and returns the status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
