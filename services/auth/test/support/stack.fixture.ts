import { createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
// The gateway is the other half of these flows; it has no package entry for tests yet.
import { startTestGateway, type TestGateway } from '../../../gateway/test/support/gateway.fixture';
import {
  GOOD_PASSWORD,
  INTERNAL_TOKEN,
  authTestConfig,
  newUsername,
  startTestAuth,
  type TestAuthService,
} from './auth.fixture';
import { deleteExchange } from './event.listener';

/** The admin every identity stack starts with. */
export const ADMIN = { username: 'root', password: 'root-password-for-tests' };

/** A real auth service behind a real gateway, on one throwaway database and exchange. */
export interface IdentityStack {
  database: TestDatabase;
  exchange: string;
  auth: TestAuthService;
  gateway: TestGateway;
  close(): Promise<void>;
}

/**
 * Starts auth and the gateway in-process. The gateway's introspection cache is off unless
 * `gatewayEnv` sets it, so revocations are visible at once and tests can say so.
 */
export async function startIdentityStack(
  prefix: string,
  authEnv: Record<string, string> = {},
  gatewayEnv: Record<string, string> = {},
): Promise<IdentityStack> {
  const database = await createTestDatabase(prefix);
  const exchange = uniqueName(prefix);
  const auth = await startTestAuth(
    authTestConfig(database.url, exchange, {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ...authEnv,
    }),
  );
  const gateway = await startTestGateway(auth.url, {
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    RATE_LIMIT_ENABLED: 'false',
    AUTH_INTROSPECTION_CACHE_SECONDS: '0',
    ...gatewayEnv,
  });
  return {
    database,
    exchange,
    auth,
    gateway,
    close: async () => {
      await gateway.close();
      await auth.close();
      await database.drop();
      await deleteExchange(exchange);
    },
  };
}

/** A JSON answer. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Calls `baseUrl` with an optional bearer credential and JSON body. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { bearer?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('application/json');
  const body = json && text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, headers: response.headers, body };
}

/** A signed-in user of a test. */
export interface SignedIn {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

/** Registers (unless `existing`) and signs in through the gateway. */
export async function signIn(
  gatewayUrl: string,
  existing?: { username: string; password: string },
): Promise<SignedIn> {
  const username = existing?.username ?? newUsername();
  const password = existing?.password ?? GOOD_PASSWORD;
  if (!existing) {
    const registered = await call(gatewayUrl, 'POST', '/api/auth/register', {
      body: { username, password },
    });
    if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
  }
  const login = await call(gatewayUrl, 'POST', '/api/auth/login', { body: { username, password } });
  if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.body)}`);
  return {
    id: (login.body.user as { id: string }).id,
    username,
    token: login.body.token as string,
    refreshToken: login.body.refresh_token as string,
  };
}
