import net from 'node:net';
import { decodeJwt } from 'jose';
import { createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
import { startTestGateway, type TestGateway } from '../../gateway/test/support/gateway.fixture';
import { mapRole } from '../src/domain/role.mapping';
import {
  GOOD_PASSWORD,
  INTERNAL_TOKEN,
  authTestConfig,
  newUsername,
  startTestAuth,
  type TestAuthService,
} from './support/auth.fixture';
import { deleteExchange } from './support/event.listener';
import {
  CookieBrowser,
  startTestOidcProvider,
  type TestOidcProvider,
  type TestProviderOptions,
} from './support/oidc.provider';
import { call } from './support/stack.fixture';

const CLIENT = { clientId: 'readur-test', clientSecret: 'readur-test-client-secret' };
const SIGNED_IN_PAGE = 'http://app.readur.test/signed-in';
const exchange = uniqueName('auth_oidc_test');
let database: TestDatabase;
const stops: Array<() => Promise<void>> = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A provider, and an auth service behind a gateway that signs on with it. */
interface SsoStack {
  provider: TestOidcProvider;
  auth: TestAuthService;
  gateway: TestGateway;
}

async function startSsoStack(
  layout: Partial<TestProviderOptions> = {},
  env: Record<string, string> = {},
): Promise<SsoStack> {
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const provider = await startTestOidcProvider({
    ...CLIENT,
    redirectUri: `${gatewayUrl}/api/auth/oidc/callback`,
    backchannelLogoutUri: `${gatewayUrl}/api/auth/oidc/backchannel-logout`,
    ...layout,
  });
  const auth = await startTestAuth(
    authTestConfig(database.url, exchange, {
      PUBLIC_URL: gatewayUrl,
      OIDC_ENABLED: 'true',
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: CLIENT.clientId,
      OIDC_CLIENT_SECRET: CLIENT.clientSecret,
      OIDC_SCOPES: 'openid profile email groups roles',
      OIDC_AUTO_REGISTER: 'true',
      OIDC_ROLE_CLAIM: 'realm_access.roles',
      OIDC_ADMIN_VALUES: 'readur-admin, ops',
      OIDC_POST_LOGIN_REDIRECT: SIGNED_IN_PAGE,
      OIDC_POST_LOGOUT_REDIRECT_URI: 'http://127.0.0.1/after-logout',
      OIDC_ALLOW_HTTP: 'true',
      ...env,
    }),
  );
  const gateway = await startTestGateway(auth.url, {
    PORT: String(gatewayPort),
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    AUTH_INTROSPECTION_CACHE_SECONDS: '0',
  });
  stops.push(
    () => gateway.close(),
    () => auth.close(),
    () => provider.close(),
  );
  return { provider, auth, gateway };
}

/** Everything up to the provider's redirect back to the callback, which is not followed. */
async function toCallback(sso: SsoStack, browser = new CookieBrowser()) {
  const reached = await browser.follow(`${sso.gateway.url}/api/auth/oidc/login`, (next) =>
    next.pathname.endsWith('/api/auth/oidc/callback'),
  );
  return { browser, callback: reached.url };
}

/** The whole browser-less redirect flow; the platform's tokens from the final fragment. */
async function signOn(sso: SsoStack, accountId: string) {
  sso.provider.signInAs(accountId);
  const browser = new CookieBrowser();
  const done = await browser.follow(`${sso.gateway.url}/api/auth/oidc/login`, (next) =>
    next.href.startsWith(SIGNED_IN_PAGE),
  );
  if (!done.url.href.startsWith(SIGNED_IN_PAGE)) {
    throw new Error(`sign-on ended at ${done.url.href} with ${done.status}: ${done.body}`);
  }
  const fragment = new URLSearchParams(done.url.hash.slice(1));
  return {
    token: fragment.get('access_token') ?? '',
    refreshToken: fragment.get('refresh_token') ?? '',
  };
}

async function whoAmI(sso: SsoStack, token: string) {
  return call(sso.gateway.url, 'GET', '/api/auth/me', { bearer: token });
}

let sso: SsoStack;

beforeAll(async () => {
  database = await createTestDatabase('auth_oidc_test');
  // Google's layout: the issuer is the bare origin, without a path or a trailing slash.
  sso = await startSsoStack();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await database?.drop();
  await deleteExchange(exchange);
});

describe('when a provider user signs on', () => {
  it('then the flow ends on the configured page with tokens that work at the gateway', async () => {
    sso.provider.accounts.set('sub-ann', {
      email: 'ann@corp.test',
      email_verified: true,
      preferred_username: 'ann',
    });

    const { token, refreshToken } = await signOn(sso, 'sub-ann');

    const me = await whoAmI(sso, token);
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ username: 'ann', email: 'ann@corp.test', sso: true });
    expect(refreshToken).toMatch(/^rdr_rt_/);
    const refreshed = await call(sso.gateway.url, 'POST', '/api/auth/refresh', {
      body: { refresh_token: refreshToken },
    });
    expect(refreshed.status).toBe(200);
  });

  it('then the role claim at a nested path is mapped, and re-evaluated at every sign-on', async () => {
    sso.provider.accounts.set('sub-otto', {
      preferred_username: 'otto',
      realm_access: { roles: ['staff', 'ops'] },
    });

    const first = await signOn(sso, 'sub-otto');
    sso.provider.accounts.set('sub-otto', {
      preferred_username: 'otto',
      realm_access: { roles: ['staff'] },
    });
    const second = await signOn(sso, 'sub-otto');

    const firstMe = await whoAmI(sso, first.token);
    expect(decodeJwt(first.token).role).toBe('admin');
    expect(decodeJwt(second.token).role).toBe('user');
    // The role is the account's current one, so the earlier token no longer carries admin.
    expect(firstMe.body.user).toMatchObject({ role: 'user', username: 'otto' });
  });

  it('then a verified e-mail links the existing local account', async () => {
    const username = newUsername();
    const local = await call(sso.gateway.url, 'POST', '/api/auth/register', {
      body: { username, password: GOOD_PASSWORD, email: `${username}@corp.test` },
    });
    sso.provider.accounts.set('sub-linked', {
      email: `${username}@corp.test`,
      email_verified: true,
    });

    const { token } = await signOn(sso, 'sub-linked');

    const me = await whoAmI(sso, token);
    expect(me.body.user).toMatchObject({ id: (local.body.user as { id: string }).id, sso: true });
  });

  it('then an unverified e-mail never links an existing account', async () => {
    const username = newUsername();
    const local = await call(sso.gateway.url, 'POST', '/api/auth/register', {
      body: { username, password: GOOD_PASSWORD, email: `${username}@corp.test` },
    });
    sso.provider.accounts.set('sub-unverified', {
      email: `${username}@corp.test`,
      email_verified: false,
      preferred_username: username,
    });

    const { token } = await signOn(sso, 'sub-unverified');

    const me = (await whoAmI(sso, token)).body.user as Record<string, unknown>;
    expect(me.id).not.toBe((local.body.user as { id: string }).id);
    expect(me.email).toBeNull();
    expect(me.username).toBe(`${username}-2`);
  });
});

describe('when the callback is not what this browser started', () => {
  it('then a wrong state is 400 OIDC_STATE_INVALID', async () => {
    sso.provider.accounts.set('sub-state', {});
    sso.provider.signInAs('sub-state');
    const { browser, callback } = await toCallback(sso);
    callback.searchParams.set('state', 'forged-state');

    const res = await browser.follow(callback.href);

    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'OIDC_STATE_INVALID' });
  });

  it('then a callback from another browser (no state cookie) is refused', async () => {
    sso.provider.signInAs('sub-state');
    const { callback } = await toCallback(sso);

    const res = await new CookieBrowser().follow(callback.href);

    expect(res.status).toBe(400);
  });

  it('then a replayed authorization code is refused by the provider', async () => {
    sso.provider.accounts.set('sub-replay', {});
    sso.provider.signInAs('sub-replay');
    const { browser, callback } = await toCallback(sso);
    const state = callback.searchParams.get('state') ?? '';
    const pending: unknown[] = await database.knex('oidc_logins').where({ state });
    const first = await browser.follow(callback.href, (next) =>
      next.href.startsWith(SIGNED_IN_PAGE),
    );
    expect(first.url.href.startsWith(SIGNED_IN_PAGE)).toBe(true);
    // Put the same attempt back, so only the provider's one-time code check can stop it.
    await database.knex('oidc_logins').insert(pending);

    const replay = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `readur_oidc_state=${state}` },
    });

    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe('OIDC_LOGIN_FAILED');
  });

  it.each([
    [
      'an expired ID token',
      (claims: Record<string, unknown>) => ({
        ...claims,
        iat: Math.floor(Date.now() / 1000) - 3600,
        exp: Math.floor(Date.now() / 1000) - 300,
      }),
    ],
    [
      'an ID token for another audience',
      (claims: Record<string, unknown>) => ({
        ...claims,
        aud: 'some-other-client',
      }),
    ],
    [
      'an ID token from another issuer',
      (claims: Record<string, unknown>) => ({
        ...claims,
        iss: 'http://127.0.0.1:1/elsewhere',
      }),
    ],
  ])('then %s is 401 OIDC_LOGIN_FAILED', async (_name, change) => {
    sso.provider.accounts.set('sub-tampered', {});
    sso.provider.signInAs('sub-tampered');
    sso.provider.tamperNextIdToken(change);
    const { browser, callback } = await toCallback(sso);

    const res = await browser.follow(callback.href);

    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'OIDC_LOGIN_FAILED' });
  });
});

describe('when the user signs out', () => {
  it('then a back-channel logout from the provider revokes that session here', async () => {
    sso.provider.accounts.set('sub-bcl', {});
    const session = await signOn(sso, 'sub-bcl');
    expect((await whoAmI(sso, session.token)).status).toBe(200);
    const row = await database
      .knex('sessions')
      .where({ oidc_subject: 'sub-bcl' })
      .first<{ oidc_sid: string }>();

    await sso.provider.backchannelLogout('sub-bcl', row.oidc_sid);

    expect((await whoAmI(sso, session.token)).status).toBe(401);
    const refresh = await call(sso.gateway.url, 'POST', '/api/auth/refresh', {
      body: { refresh_token: session.refreshToken },
    });
    expect(refresh.status).toBe(401);
  });

  it('then a forged logout token is 400 and revokes nothing', async () => {
    sso.provider.accounts.set('sub-forged', {});
    const session = await signOn(sso, 'sub-forged');

    const res = await fetch(`${sso.gateway.url}/api/auth/oidc/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: session.token }).toString(),
    });

    expect(res.status).toBe(400);
    expect((await whoAmI(sso, session.token)).status).toBe(200);
  });

  it('then RP-initiated logout ends the session and points to the provider', async () => {
    sso.provider.accounts.set('sub-rp', {});
    const session = await signOn(sso, 'sub-rp');

    const res = await call(sso.gateway.url, 'POST', '/api/auth/oidc/logout', {
      bearer: session.token,
    });

    expect(res.status).toBe(200);
    const logoutUrl = new URL(res.body.logout_url as string);
    expect(logoutUrl.href.startsWith(sso.provider.issuer.replace(/\/$/, ''))).toBe(true);
    expect(logoutUrl.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect((await whoAmI(sso, session.token)).status).toBe(401);
  });
});

describe('when auto-registration is off', () => {
  let closed: SsoStack;
  beforeAll(async () => {
    closed = await startSsoStack({}, { OIDC_AUTO_REGISTER: 'false' });
  });

  it('then a provider user without an account is 403 OIDC_ACCOUNT_NOT_FOUND and gets none', async () => {
    closed.provider.accounts.set('sub-stranger', {
      email: 'stranger@corp.test',
      email_verified: true,
      preferred_username: 'stranger',
    });
    closed.provider.signInAs('sub-stranger');
    const usersBefore = await database.knex('users').count<{ count: string }[]>('* as count');
    const { browser, callback } = await toCallback(closed);

    const res = await browser.follow(callback.href, (next) => next.href.startsWith(SIGNED_IN_PAGE));

    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      code: 'OIDC_ACCOUNT_NOT_FOUND',
      error: 'No account is linked to this sign-on',
    });
    const usersAfter = await database.knex('users').count<{ count: string }[]>('* as count');
    expect(usersAfter).toEqual(usersBefore);
    const stranger = await database
      .knex('users')
      .where({ oidc_subject: 'sub-stranger' })
      .orWhereRaw('lower(username) = ?', ['stranger'])
      .orWhere({ email: 'stranger@corp.test' });
    expect(stranger).toEqual([]);
    expect(await database.knex('sessions').where({ oidc_subject: 'sub-stranger' })).toEqual([]);
  });

  it('then a verified e-mail still links the existing local account', async () => {
    const username = newUsername();
    const local = await call(closed.gateway.url, 'POST', '/api/auth/register', {
      body: { username, password: GOOD_PASSWORD, email: `${username}@corp.test` },
    });
    closed.provider.accounts.set('sub-known', {
      email: `${username}@corp.test`,
      email_verified: true,
    });

    const { token } = await signOn(closed, 'sub-known');

    const me = await whoAmI(closed, token);
    expect(me.body.user).toMatchObject({ id: (local.body.user as { id: string }).id, sso: true });
  });
});

describe('when /api/auth/config is read and local sign-in is off', () => {
  it('then it lists SSO only, and password sign-in and registration are 403', async () => {
    const ssoOnly = await startSsoStack({}, { ALLOW_LOCAL_AUTH: 'false' });

    const config = await call(ssoOnly.gateway.url, 'GET', '/api/auth/config');
    const login = await call(ssoOnly.gateway.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: GOOD_PASSWORD },
    });
    const register = await call(ssoOnly.gateway.url, 'POST', '/api/auth/register', {
      body: { username: newUsername(), password: GOOD_PASSWORD },
    });

    expect(config.body).toEqual({
      methods: { local: false, oidc: true },
      allow_registration: false,
      oidc_login_url: '/api/auth/oidc/login',
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('LOCAL_AUTH_DISABLED');
    expect(register.status).toBe(403);
  });
});

describe('when the provider has a quirky issuer', () => {
  it.each([
    ["Azure AD's tenant issuer with a path", { mountPath: '/9188040d-6c67-4c5b/v2.0' }],
    ["Auth0's issuer with a trailing slash", { trailingSlash: true }],
  ])('then %s works end to end', async (_name, layout) => {
    const quirky = await startSsoStack(layout);
    quirky.provider.accounts.set('sub-quirk', { preferred_username: 'quirk' });

    const { token } = await signOn(quirky, 'sub-quirk');

    expect((await whoAmI(quirky, token)).status).toBe(200);
  });
});

describe('when roles are mapped from claims', () => {
  it('then a flat list, a space-separated string and a missing claim map as expected', () => {
    const mapping = { claim: 'groups', adminValues: ['admins'] };

    expect(mapRole({ groups: ['staff', 'admins'] }, mapping)).toBe('admin');
    expect(mapRole({ groups: 'staff admins' }, mapping)).toBe('admin');
    expect(mapRole({ groups: ['staff'] }, mapping)).toBe('user');
    expect(mapRole({}, mapping)).toBe('user');
    expect(mapRole({ groups: ['admins'] }, { claim: undefined, adminValues: ['admins'] })).toBe(
      undefined,
    );
  });
});
