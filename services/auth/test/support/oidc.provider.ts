import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type * as OidcProviderNs from 'oidc-provider' with { 'resolution-mode': 'import' };
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

// oidc-provider is ESM-only: its type is read in import mode, the module loaded with import().
type OidcProviderModule = typeof OidcProviderNs;
type Provider = InstanceType<OidcProviderModule['default']>;

/** Claims of one account at the test provider. */
export type AccountClaims = Record<string, unknown>;

/** How a test provider is laid out, to mimic a real provider's quirks. */
export interface TestProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  backchannelLogoutUri?: string;
  /** Path the provider lives under, e.g. `/tenant-id/v2.0` like Azure AD; default the root. */
  mountPath?: string;
  /** Issuer written with a trailing slash, like Auth0. */
  trailingSlash?: boolean;
}

/** A real OpenID provider (oidc-provider from npm) on loopback. */
export interface TestOidcProvider {
  issuer: string;
  accounts: Map<string, AccountClaims>;
  /** The account the next interaction signs in. */
  signInAs(accountId: string): void;
  /**
   * Re-signs the ID token of the next token answer with the provider's own key after `change`
   * altered its claims: a provider that misbehaves, or a token for someone else.
   */
  tamperNextIdToken(change: (claims: Record<string, unknown>) => Record<string, unknown>): void;
  /** Sends a real back-channel logout token to the client for `sub` (and `sid`). */
  backchannelLogout(sub: string, sid?: string): Promise<void>;
  close(): Promise<void>;
}

const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['preferred_username', 'name'],
  groups: ['groups'],
  roles: ['realm_access'],
};

/** Starts oidc-provider with a confidential client that must use PKCE. */
export async function startTestOidcProvider(
  options: TestProviderOptions,
): Promise<TestOidcProvider> {
  const { default: Provider } = await import('oidc-provider');
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const mount = options.mountPath ?? '';
  const issuer = `http://127.0.0.1:${port}${mount}${options.trailingSlash ? '/' : ''}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = {
    ...(await exportJWK(privateKey)),
    kid: 'test-key',
    alg: 'RS256',
    use: 'sig',
  };
  const accounts = new Map<string, AccountClaims>();
  let nextAccount = '';
  let tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;

  const provider: Provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: ['http://127.0.0.1/after-logout'],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        ...(options.backchannelLogoutUri
          ? {
              backchannel_logout_uri: options.backchannelLogoutUri,
              backchannel_logout_session_required: true,
            }
          : {}),
      },
    ],
    jwks: { keys: [signingJwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    pkce: { methods: ['S256'], required: () => true },
    claims: CLAIMS,
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, ...(accounts.get(id) ?? {}) }),
    }),
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid email profile groups roles');
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
  });
  provider.on('server_error', () => undefined);

  provider.use(async (ctx, next) => {
    await next();
    if (!ctx.path.endsWith('/token') || !tamper || ctx.status !== 200) return;
    const body = ctx.body as { id_token?: string };
    if (!body.id_token) return;
    const change = tamper;
    tamper = undefined;
    const claims = change(decodeJwt(body.id_token));
    body.id_token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .sign(await importJWK(signingJwk, 'RS256'));
  });

  app.get(`${mount}/interaction/:uid`, async (req, res) => {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: nextAccount } },
      { mergeWithLastSubmission: false },
    );
  });
  app.use(mount || '/', provider.callback());

  return {
    issuer,
    accounts,
    signInAs: (accountId) => {
      nextAccount = accountId;
    },
    tamperNextIdToken: (change) => {
      tamper = change;
    },
    backchannelLogout: async (sub, sid) => {
      const client = await provider.Client.find(options.clientId);
      if (!client) throw new Error('test client missing');
      // Public in oidc-provider 8 (lib/models/client.js), missing from its type definitions.
      const sender = client as unknown as {
        backchannelLogout(sub: string, sid?: string): Promise<void>;
      };
      await sender.backchannelLogout(sub, sid);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser without a window: follows redirects by hand and keeps cookies per host. */
export class CookieBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  /** GETs `url` and follows redirects until an answer that is not one, or `stop` says so. */
  async follow(
    url: string,
    stop: (location: URL) => boolean = () => false,
  ): Promise<{ status: number; url: URL; body: string }> {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop += 1) {
      const response = await fetch(current, {
        redirect: 'manual',
        headers: { cookie: this.cookieHeader(current) },
      });
      this.store(current, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { status: response.status, url: current, body: await response.text() };
      }
      await response.body?.cancel();
      const next = new URL(location, current);
      if (stop(next)) return { status: response.status, url: next, body: '' };
      current = next;
    }
    throw new Error('too many redirects');
  }

  private cookieHeader(url: URL): string {
    const jar = this.jars.get(url.host) ?? new Map<string, string>();
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private store(url: URL, setCookies: string[]): void {
    const jar = this.jars.get(url.host) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index < 1) continue;
      const value = pair.slice(index + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(pair.slice(0, index));
      else jar.set(pair.slice(0, index), value);
    }
    this.jars.set(url.host, jar);
  }
}
