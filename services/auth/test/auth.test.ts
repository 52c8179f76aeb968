import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
import { listenToExchange, type ExchangeListener } from '@readur/testkit';
import { deleteExchange } from './support/event.listener';
import {
  GOOD_PASSWORD,
  INTERNAL_TOKEN,
  authTestConfig,
  newUsername,
  postJson,
  startTestAuth,
  type TestAuthService,
} from './support/auth.fixture';

const anyString = expect.any(String) as string;
const exchange = uniqueName('auth_test');
let database: TestDatabase;
let auth: TestAuthService;
let listener: ExchangeListener;

beforeAll(async () => {
  database = await createTestDatabase('auth_test');
  listener = await listenToExchange(exchange);
  auth = await startTestAuth(authTestConfig(database.url, exchange, { ADMIN_USERNAME: 'root' }));
});

afterAll(async () => {
  await auth?.close();
  await listener?.close();
  await database?.drop();
  await deleteExchange(exchange);
});

async function register(username: string, password = GOOD_PASSWORD, email?: string) {
  return postJson(`${auth.url}/api/auth/register`, { username, password, email });
}

async function login(username: string, password = GOOD_PASSWORD) {
  return postJson(`${auth.url}/api/auth/login`, { username, password });
}

function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'request_id'));
}

// Field names a secret would travel under, at any depth of an event.
const SECRET_KEY = /pass|hash|token|secret|credential|private|key/i;

function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(`${auth.url}/api/auth/jwks`)).json()) as JSONWebKeySet;
}

describe('when a user registers', () => {
  it('then it answers 201 with the user and publishes user.created', async () => {
    const username = newUsername();

    const res = await register(username, GOOD_PASSWORD, `${username}@example.test`);

    expect(res.status).toBe(201);
    const user = res.body.user as Record<string, unknown>;
    expect(user).toEqual({
      id: anyString,
      username,
      email: `${username}@example.test`,
      role: 'user',
      disabled: false,
      sso: false,
      created_at: anyString,
    });
    const event = await listener.next(
      (e) => e.event === 'user.created' && e.data.user_id === user.id,
      'user.created',
    );
    expect(event.data).toMatchObject({ username, role: 'user' });
    expect(JSON.stringify(event)).not.toContain(GOOD_PASSWORD);
  });

  it('then a taken username, in any case, is 409 USERNAME_TAKEN', async () => {
    const username = newUsername();
    await register(username);

    const res = await register(username.toUpperCase());

    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'USERNAME_TAKEN', request_id: anyString });
  });

  it('then a weak password is 400 WEAK_PASSWORD', async () => {
    const res = await register(newUsername(), 'short');

    expect(res.status).toBe(400);
    expect(res.body.code).toBe('WEAK_PASSWORD');
  });
});

describe('when a user logs in', () => {
  it('then it gets an ES256 token the JWKS verifies, and user.login is published', async () => {
    const username = newUsername();
    const { body } = await register(username, GOOD_PASSWORD, `${username}@example.test`);
    const id = (body.user as { id: string }).id;

    const byName = await login(username);
    const byEmail = await login(`${username}@example.test`);

    expect(byName.status).toBe(200);
    expect(byEmail.status).toBe(200);
    const token = byName.body.token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: anyString });
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: 'readur',
      audience: 'readur-api',
    });
    expect(payload).toMatchObject({ sub: id, role: 'user', username, sid: anyString });
    // Short-lived by default: 15 minutes.
    expect(payload.exp! - payload.iat!).toBe(900);
    const event = await listener.next(
      (e) => e.event === 'user.login' && e.data.user_id === id,
      'user.login',
    );
    expect(event.data).toMatchObject({ username, method: 'password' });
  });

  it('then user.created and user.login, as published on the bus, carry no secret', async () => {
    const username = newUsername();
    const { body } = await register(username, GOOD_PASSWORD, `${username}@example.test`);
    const id = (body.user as { id: string }).id;

    const signedIn = await login(username);

    const secrets = [
      GOOD_PASSWORD,
      signedIn.body.token as string,
      signedIn.body.refresh_token as string,
      (await database.knex('users').where({ id }).first<{ password_hash: string }>()).password_hash,
    ];
    for (const [event, fields] of [
      ['user.created', ['created_at', 'email', 'role', 'user_id', 'username']],
      ['user.login', ['logged_in_at', 'method', 'user_id', 'username']],
    ] as const) {
      const envelope = await listener.next(
        (e) => e.event === event && e.data.user_id === id,
        event,
      );
      const onTheBus = listener.published.get(envelope.id) as { data: object };
      const text = JSON.stringify(onTheBus);
      expect(Object.keys(onTheBus.data).sort()).toEqual(fields);
      expect(keysOf(onTheBus).filter((key) => SECRET_KEY.test(key))).toEqual([]);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it('then a wrong password and an unknown user get the same 401', async () => {
    const username = newUsername();
    await register(username);

    const wrong = await login(username, 'not-the-password-at-all');
    const unknown = await login(newUsername(), 'not-the-password-at-all');

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body));
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
  });
});

describe('when /api/auth/me is called', () => {
  it('then it answers for the user the gateway vouches for', async () => {
    const username = newUsername();
    const id = ((await register(username)).body.user as { id: string }).id;

    const res = await fetch(`${auth.url}/api/auth/me`, {
      headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-user-id': id, 'x-user-role': 'user' },
    });

    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { username: string } }).user.username).toBe(username);
  });

  it('then X-User-Id without the internal token is 401', async () => {
    const id = ((await register(newUsername())).body.user as { id: string }).id;

    const res = await fetch(`${auth.url}/api/auth/me`, {
      headers: {
        'x-internal-token': 'wrong-token-wrong-token',
        'x-user-id': id,
        'x-user-role': 'user',
      },
    });

    expect(res.status).toBe(401);
  });
});

describe('when the service starts on an empty database', () => {
  it('then it creates the admin once and prints a generated password once', async () => {
    expect(auth.announcements).toHaveLength(1);
    const password = /password "([^"]+)"/.exec(auth.announcements[0] ?? '')?.[1] ?? '';

    const res = await login('root', password);

    expect(res.status).toBe(200);
    expect((res.body.user as { role: string }).role).toBe('admin');
    const created = await listener.next(
      (e) => e.event === 'user.created' && e.data.username === 'root',
      'admin user.created',
    );
    expect(created.data).toMatchObject({ role: 'admin' });
  });

  it('then a second replica reuses the admin and the signing key', async () => {
    const before = await jwks();

    const replica = await startTestAuth(authTestConfig(database.url, exchange));
    try {
      const after = (await (await fetch(`${replica.url}/api/auth/jwks`)).json()) as JSONWebKeySet;
      expect(replica.announcements).toHaveLength(0);
      expect(after.keys.map((key) => key.kid)).toEqual(before.keys.map((key) => key.kid));
      const admins = await database
        .knex('users')
        .where({ role: 'admin' })
        .count<{ count: string }[]>();
      expect(Number(admins[0]?.count)).toBe(1);
    } finally {
      await replica.close();
    }
  });
});

describe('when registration is switched off', () => {
  it('then sign-up is 403 REGISTRATION_DISABLED and the config says so', async () => {
    const closed = await startTestAuth(
      authTestConfig(database.url, exchange, { ALLOW_REGISTRATION: 'false' }),
    );
    try {
      const res = await postJson(`${closed.url}/api/auth/register`, {
        username: newUsername(),
        password: GOOD_PASSWORD,
      });
      const config = (await (await fetch(`${closed.url}/api/auth/config`)).json()) as {
        allow_registration: boolean;
      };

      expect(res.status).toBe(403);
      expect(res.body.code).toBe('REGISTRATION_DISABLED');
      expect(config.allow_registration).toBe(false);
    } finally {
      await closed.close();
    }
  });
});

describe('when /api/auth/config is read', () => {
  it('then it says which sign-in methods are on', async () => {
    const res = await fetch(`${auth.url}/api/auth/config`);

    expect(await res.json()).toEqual({
      methods: { local: true, oidc: false },
      allow_registration: true,
    });
  });
});
