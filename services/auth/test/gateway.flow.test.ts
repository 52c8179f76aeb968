import { createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
// The gateway is the other half of this flow; it has no package entry for tests yet.
import { startTestGateway, type TestGateway } from '../../gateway/test/support/gateway.fixture';
import {
  GOOD_PASSWORD,
  authTestConfig,
  newUsername,
  postJson,
  startTestAuth,
  type TestAuthService,
} from './support/auth.fixture';
import { deleteExchange } from './support/event.listener';

const exchange = uniqueName('auth_gateway_test');
let database: TestDatabase;
let auth: TestAuthService;
let gateway: TestGateway;

beforeAll(async () => {
  database = await createTestDatabase('auth_gateway_test');
  auth = await startTestAuth(authTestConfig(database.url, exchange));
  // The auth fixture and the gateway fixture must agree on the internal token.
  gateway = await startTestGateway(auth.url, {
    INTERNAL_API_TOKEN: authTestConfig(database.url, exchange).INTERNAL_API_TOKEN,
  });
});

afterAll(async () => {
  await gateway?.close();
  await auth?.close();
  await database?.drop();
  await deleteExchange(exchange);
});

describe('when a user signs up and in through the gateway', () => {
  it('then /api/auth/me answers with that user', async () => {
    const username = newUsername();

    const registered = await postJson(`${gateway.url}/api/auth/register`, {
      username,
      password: GOOD_PASSWORD,
    });
    const loggedIn = await postJson(`${gateway.url}/api/auth/login`, {
      username,
      password: GOOD_PASSWORD,
    });
    const me = await fetch(`${gateway.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${loggedIn.body.token as string}` },
    });

    expect(registered.status).toBe(201);
    expect(loggedIn.status).toBe(200);
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: { username: string; role: string } };
    expect(body.user).toMatchObject({ username, role: 'user' });
  });

  it('then /api/auth/me without a token is 401 at the gateway', async () => {
    const me = await fetch(`${gateway.url}/api/auth/me`, {
      headers: { 'x-user-id': '00000000-0000-4000-8000-000000000000', 'x-user-role': 'admin' },
    });

    expect(me.status).toBe(401);
  });

  it('then a wrong password is 401 INVALID_CREDENTIALS', async () => {
    const res = await postJson(`${gateway.url}/api/auth/login`, {
      username: newUsername(),
      password: GOOD_PASSWORD,
    });

    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_CREDENTIALS');
  });
});
