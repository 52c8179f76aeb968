import { createHash } from 'node:crypto';
import { EVENT } from '@readur/contracts';
import { GOOD_PASSWORD, newUsername } from './support/auth.fixture';
import { listenToExchange, type ExchangeListener } from '@readur/testkit';
import {
  ADMIN,
  call,
  signIn,
  startIdentityStack,
  type IdentityStack,
  type SignedIn,
} from './support/stack.fixture';

let stack: IdentityStack;
let gw: string;
let admin: SignedIn;
let listener: ExchangeListener;

beforeAll(async () => {
  stack = await startIdentityStack('auth_account_test');
  gw = stack.gateway.url;
  listener = await listenToExchange(stack.exchange);
  admin = await signIn(gw, ADMIN);
});

afterAll(async () => {
  await listener?.close();
  await stack?.close();
});

const me = (bearer: string) => call(gw, 'GET', '/api/auth/me', { bearer });

describe('when a user creates an API key', () => {
  it('then the key is shown once with its prefix, and only its hash is stored', async () => {
    const alice = await signIn(gw);

    const created = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'scanner', scope: 'read_write', expires_at: '2099-01-01T00:00:00Z' },
    });
    const listed = await call(gw, 'GET', '/api/auth/keys', { bearer: alice.token });

    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^rdr_key_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      name: 'scanner',
      scope: 'read_write',
      expires_at: '2099-01-01T00:00:00.000Z',
      prefix: key.slice(0, 14),
    });
    const keys = listed.body.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toHaveProperty('key');
    const rows = await stack.database.knex('api_keys').where({ user_id: alice.id });
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(rows[0]).toMatchObject({ key_hash: createHash('sha256').update(key).digest('hex') });
  });

  it('then the key works as a bearer token, within its scope', async () => {
    const alice = await signIn(gw);
    const { body } = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'read only', scope: 'read' },
    });
    const key = body.key as string;

    const read = await me(key);
    const write = await call(gw, 'POST', '/api/documents', { bearer: key, body: {} });
    const mint = await call(gw, 'POST', '/api/auth/keys', {
      bearer: key,
      body: { name: 'another', scope: 'read_write' },
    });

    expect(read.status).toBe(200);
    expect((read.body.user as { id: string }).id).toBe(alice.id);
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(mint.status).toBe(403);
    expect(mint.body.code).toBe('SESSION_REQUIRED');
  });

  it('then DELETE revokes it at once, and another user cannot delete it', async () => {
    const alice = await signIn(gw);
    const bob = await signIn(gw);
    const { body } = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'ci', scope: 'read' },
    });
    const path = `/api/auth/keys/${body.id as string}`;

    const byBob = await call(gw, 'DELETE', path, { bearer: bob.token });
    const stillWorks = await me(body.key as string);
    const byAlice = await call(gw, 'DELETE', path, { bearer: alice.token });

    expect(byBob.status).toBe(404);
    expect(stillWorks.status).toBe(200);
    expect(byAlice.status).toBe(204);
    expect((await me(body.key as string)).status).toBe(401);
  });

  it('then an expired key is refused', async () => {
    const alice = await signIn(gw);
    const { body } = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'short', scope: 'read' },
    });
    await stack.database
      .knex('api_keys')
      .where({ id: body.id as string })
      .update({ expires_at: new Date(Date.now() - 1000) });

    expect((await me(body.key as string)).status).toBe(401);
  });
});

describe('when an admin manages users', () => {
  it('then they create, read, list, change and delete users, and user.created has no secret', async () => {
    const username = newUsername();

    const created = await call(gw, 'POST', '/api/users', {
      bearer: admin.token,
      body: { username, password: GOOD_PASSWORD, email: `${username}@example.test`, role: 'user' },
    });
    const id = (created.body.user as { id: string }).id;
    const read = await call(gw, 'GET', `/api/users/${id}`, { bearer: admin.token });
    const list = await call(gw, 'GET', '/api/users?limit=200', { bearer: admin.token });
    const patched = await call(gw, 'PATCH', `/api/users/${id}`, {
      bearer: admin.token,
      body: { email: `${username}@changed.test` },
    });
    const deleted = await call(gw, 'DELETE', `/api/users/${id}`, { bearer: admin.token });
    const gone = await call(gw, 'GET', `/api/users/${id}`, { bearer: admin.token });

    expect(created.status).toBe(201);
    expect(read.body.user).toMatchObject({ username, role: 'user', disabled: false });
    expect((list.body.users as { id: string }[]).map((user) => user.id)).toContain(id);
    expect(list.body.total).toBeGreaterThanOrEqual(2);
    expect(patched.body.user).toMatchObject({ email: `${username}@changed.test` });
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('USER_NOT_FOUND');
    const event = await listener.next(
      (e) => e.event === EVENT.userCreated && e.data.user_id === id,
      'user.created',
    );
    expect(JSON.stringify(event)).not.toContain(GOOD_PASSWORD);
    expect(JSON.stringify(event)).not.toContain('argon2');
  });

  it('then a non-admin gets 403 on every user route', async () => {
    const alice = await signIn(gw);

    const statuses = await Promise.all([
      call(gw, 'GET', '/api/users', { bearer: alice.token }),
      call(gw, 'GET', `/api/users/${alice.id}`, { bearer: alice.token }),
      call(gw, 'PATCH', `/api/users/${alice.id}`, {
        bearer: alice.token,
        body: { role: 'admin' },
      }),
    ]);

    expect(statuses.map((res) => res.status)).toEqual([403, 403, 403]);
  });

  it('then disabling a user revokes their sessions and keys and stops sign-in', async () => {
    const alice = await signIn(gw);
    const { body } = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'k', scope: 'read' },
    });

    const disabled = await call(gw, 'PATCH', `/api/users/${alice.id}`, {
      bearer: admin.token,
      body: { disabled: true },
    });

    expect(disabled.status).toBe(200);
    expect((await me(alice.token)).status).toBe(401);
    expect((await me(body.key as string)).status).toBe(401);
    const login = await call(gw, 'POST', '/api/auth/login', {
      body: { username: alice.username, password: GOOD_PASSWORD },
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('ACCOUNT_DISABLED');
    const refresh = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });
    expect(refresh.status).toBe(401);
  });

  it('then a role change takes effect on the next request, without a new token', async () => {
    const alice = await signIn(gw);

    await call(gw, 'PATCH', `/api/users/${alice.id}`, {
      bearer: admin.token,
      body: { role: 'admin' },
    });
    const asAdmin = await call(gw, 'GET', '/api/users', { bearer: alice.token });
    await call(gw, 'PATCH', `/api/users/${alice.id}`, {
      bearer: admin.token,
      body: { role: 'user' },
    });
    const asUser = await call(gw, 'GET', '/api/users', { bearer: alice.token });

    expect(asAdmin.status).toBe(200);
    expect(asUser.status).toBe(403);
  });

  it('then the last enabled admin cannot be demoted, disabled or deleted', async () => {
    const path = `/api/users/${admin.id}`;

    const demote = await call(gw, 'PATCH', path, { bearer: admin.token, body: { role: 'user' } });
    const disable = await call(gw, 'PATCH', path, {
      bearer: admin.token,
      body: { disabled: true },
    });
    const remove = await call(gw, 'DELETE', path, { bearer: admin.token });

    expect([demote.status, disable.status, remove.status]).toEqual([409, 409, 409]);
    expect(demote.body.code).toBe('LAST_ADMIN');
    expect((await me(admin.token)).status).toBe(200);
  });

  it('then with a second admin, the first can be demoted, and concurrent demotions keep one', async () => {
    const second = await call(gw, 'POST', '/api/users', {
      bearer: admin.token,
      body: { username: newUsername(), password: GOOD_PASSWORD, role: 'admin' },
    });
    const secondId = (second.body.user as { id: string }).id;

    const both = await Promise.all([
      call(gw, 'PATCH', `/api/users/${admin.id}`, { bearer: admin.token, body: { role: 'user' } }),
      call(gw, 'PATCH', `/api/users/${secondId}`, { bearer: admin.token, body: { role: 'user' } }),
    ]);

    expect(both.map((res) => res.status).sort()).toEqual([200, 409]);
    const admins = await stack.database
      .knex('users')
      .where({ role: 'admin' })
      .count<{ count: string }[]>();
    expect(Number(admins[0]?.count)).toBe(1);
  });
});
