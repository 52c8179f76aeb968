import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { startTestGateway } from '../../gateway/test/support/gateway.fixture';
import {
  GOOD_PASSWORD,
  INTERNAL_TOKEN,
  authTestConfig,
  newUsername,
  startTestAuth,
} from './support/auth.fixture';
import {
  ADMIN,
  call,
  signIn,
  startIdentityStack,
  type IdentityStack,
} from './support/stack.fixture';

const anyString = expect.any(String) as string;
let stack: IdentityStack;
let gw: string;

beforeAll(async () => {
  stack = await startIdentityStack(
    'auth_session_test',
    {
      SIGNING_KEY_PUBLISH_LEAD_SECONDS: '0',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '6',
    },
    {},
  );
  gw = stack.gateway.url;
});

afterAll(async () => {
  await stack?.close();
});

const me = (token: string) => call(gw, 'GET', '/api/auth/me', { bearer: token });

describe('when a refresh token is used', () => {
  it('then it is traded for a new pair, and the old one no longer works', async () => {
    const alice = await signIn(gw);

    const refreshed = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });

    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(refreshed.body.refresh_token).toMatch(/^rdr_rt_/);
    expect(refreshed.body.refresh_token).not.toBe(alice.refreshToken);
    expect((await me(refreshed.body.token as string)).status).toBe(200);
  });

  it('then replaying a spent one revokes the whole family, access tokens included', async () => {
    const alice = await signIn(gw);
    const second = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });
    const newest = second.body.refresh_token as string;

    const replay = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });

    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    const afterReuse = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: newest },
    });
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.body.code).toBe('INVALID_REFRESH_TOKEN');
    expect((await me(second.body.token as string)).status).toBe(401);
    expect((await me(alice.token)).status).toBe(401);
  });

  it('then another session of the same user is untouched by that revocation', async () => {
    const alice = await signIn(gw);
    const other = await signIn(gw, { username: alice.username, password: GOOD_PASSWORD });
    await call(gw, 'POST', '/api/auth/refresh', { body: { refresh_token: alice.refreshToken } });

    await call(gw, 'POST', '/api/auth/refresh', { body: { refresh_token: alice.refreshToken } });

    expect((await me(alice.token)).status).toBe(401);
    expect((await me(other.token)).status).toBe(200);
  });

  it('then a made-up refresh token is 401 INVALID_REFRESH_TOKEN', async () => {
    const res = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: 'rdr_rt_made-up-made-up-made-up' },
    });

    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_REFRESH_TOKEN');
  });
});

describe('when a user signs out', () => {
  it('then the access token and the refresh token of that session stop working', async () => {
    const alice = await signIn(gw);

    const out = await call(gw, 'POST', '/api/auth/logout', { bearer: alice.token });

    expect(out.status).toBe(204);
    expect((await me(alice.token)).status).toBe(401);
    const refresh = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });
    expect(refresh.status).toBe(401);
  });
});

describe('when a user changes their password', () => {
  it('then every session and API key of theirs is revoked', async () => {
    const alice = await signIn(gw);
    const second = await signIn(gw, { username: alice.username, password: GOOD_PASSWORD });
    const key = await call(gw, 'POST', '/api/auth/keys', {
      bearer: alice.token,
      body: { name: 'laptop', scope: 'read' },
    });
    expect((await me(key.body.key as string)).status).toBe(200);

    const changed = await call(gw, 'POST', '/api/auth/password', {
      bearer: alice.token,
      body: { current_password: GOOD_PASSWORD, new_password: 'a-brand-new-passphrase' },
    });

    expect(changed.status).toBe(204);
    expect((await me(alice.token)).status).toBe(401);
    expect((await me(second.token)).status).toBe(401);
    expect((await me(key.body.key as string)).status).toBe(401);
    const refresh = await call(gw, 'POST', '/api/auth/refresh', {
      body: { refresh_token: second.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const again = await signIn(gw, {
      username: alice.username,
      password: 'a-brand-new-passphrase',
    });
    expect((await me(again.token)).status).toBe(200);
  });

  it('then a wrong current password is 401 and changes nothing', async () => {
    const alice = await signIn(gw);

    const res = await call(gw, 'POST', '/api/auth/password', {
      bearer: alice.token,
      body: { current_password: 'not-my-password', new_password: 'a-brand-new-passphrase' },
    });

    expect(res.status).toBe(401);
    expect((await me(alice.token)).status).toBe(200);
  });
});

// Near the end: this gateway has just cached the key set, so it meets the new key only after
// jose's 30 s cooldown; production publishes keys 60 s before they sign (tested below).
describe('when the signing key is rotated', () => {
  it('then a non-admin cannot rotate it', async () => {
    const alice = await signIn(gw);

    const res = await call(gw, 'POST', '/api/auth/signing-keys/rotate', { bearer: alice.token });

    expect(res.status).toBe(403);
  });

  it('then tokens signed before keep working, new ones use the new kid, both are published', async () => {
    const admin = await signIn(gw, ADMIN);
    const alice = await signIn(gw);
    const oldKid = decodeProtectedHeader(alice.token).kid;

    const rotated = await call(gw, 'POST', '/api/auth/signing-keys/rotate', {
      bearer: admin.token,
    });
    const bob = await signIn(gw);

    expect(rotated.status).toBe(201);
    const newKid = decodeProtectedHeader(bob.token).kid;
    expect(newKid).toBe(rotated.body.kid);
    expect(newKid).not.toBe(oldKid);
    const jwks = (await call(gw, 'GET', '/api/auth/jwks')).body as unknown as JSONWebKeySet;
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await me(alice.token)).status).toBe(200);
    // A gateway that starts now fetches the key set once and verifies both generations.
    const fresh = await startTestGateway(stack.auth.url, {
      INTERNAL_API_TOKEN: INTERNAL_TOKEN,
      AUTH_INTROSPECTION_CACHE_SECONDS: '0',
    });
    try {
      expect((await call(fresh.url, 'GET', '/api/auth/me', { bearer: alice.token })).status).toBe(
        200,
      );
      expect((await call(fresh.url, 'GET', '/api/auth/me', { bearer: bob.token })).status).toBe(
        200,
      );
    } finally {
      await fresh.close();
    }
    const retiring = await stack.database
      .knex('signing_keys')
      .where({ kid: oldKid })
      .first<{ expires_at: Date }>();
    // Retired after the token lifetime (900 s) and a minute of clock slack, not before.
    expect(retiring.expires_at.getTime()).toBeGreaterThan(Date.now() + 900_000);
  });

  it('then with a lead time the new key is published at once but signs only later', async () => {
    const replica = await startTestAuth(
      authTestConfig(stack.database.url, stack.exchange, {
        SIGNING_KEY_PUBLISH_LEAD_SECONDS: '3600',
      }),
    );
    try {
      const admin = await signIn(replica.url, ADMIN);
      const before = decodeProtectedHeader(admin.token).kid;
      const asAdmin = {
        'x-internal-token': INTERNAL_TOKEN,
        'x-user-id': admin.id,
        'x-user-role': 'admin',
      };

      const rotated = await call(replica.url, 'POST', '/api/auth/signing-keys/rotate', {
        headers: asAdmin,
      });
      const after = await signIn(replica.url, ADMIN);

      expect(rotated.status).toBe(201);
      const jwks = (await call(replica.url, 'GET', '/api/auth/jwks'))
        .body as unknown as JSONWebKeySet;
      expect(jwks.keys.map((key) => key.kid)).toContain(rotated.body.kid);
      expect(decodeProtectedHeader(after.token).kid).toBe(before);
    } finally {
      await replica.close();
    }
  });
});

// Last: these lock the loopback address's sign-ins for the rest of the window.
describe('when someone keeps guessing passwords', () => {
  it('then the account is throttled with 429 and Retry-After, even for the right password', async () => {
    const alice = await signIn(gw);
    const guess = (password: string) =>
      call(stack.auth.url, 'POST', '/api/auth/login', {
        body: { username: alice.username, password },
        // Each guess from another address, as the gateway reports it: the account limit holds.
        headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-client-address': newUsername() },
      });

    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await guess('wrong-password-guess')).status);
    const right = await guess(GOOD_PASSWORD);

    expect(statuses).toEqual([401, 401, 401]);
    expect(right.status).toBe(429);
    expect(right.body).toMatchObject({ code: 'LOGIN_THROTTLED', request_id: anyString });
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('then one address guessing many accounts is throttled too', async () => {
    const address = newUsername();
    const guess = (username: string) =>
      call(stack.auth.url, 'POST', '/api/auth/login', {
        body: { username, password: 'wrong-password-guess' },
        headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-client-address': address },
      });

    const statuses = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await guess(newUsername())).status);

    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('then a client cannot fake its address without the internal token', async () => {
    const address = newUsername();
    const guess = () =>
      call(stack.auth.url, 'POST', '/api/auth/login', {
        body: { username: newUsername(), password: 'wrong-password-guess' },
        headers: { 'x-client-address': address },
      });

    for (let i = 0; i < 6; i += 1) await guess();
    // The forged address was ignored: the guesses counted against this test's loopback peer.
    const res = await call(stack.auth.url, 'POST', '/api/auth/login', {
      body: { username: newUsername(), password: 'wrong-password-guess' },
      headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-client-address': address },
    });
    expect(res.status).toBe(401);
  });
});
