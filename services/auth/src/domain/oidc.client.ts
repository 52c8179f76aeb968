import { createRemoteJWKSet, jwtVerify } from 'jose';
import { AppError } from '@readur/errors';
import type { Logger } from '@readur/logger';
import type * as OpenIdModule from 'openid-client' with { 'resolution-mode': 'import' };

// openid-client 6 is ESM-only: its types are read in import mode and the module is loaded with
// a real dynamic import (kept as `import()` in the CommonJS output).
type OpenId = typeof OpenIdModule;
type Configuration = InstanceType<OpenId['Configuration']>;

/** How this service talks to the OpenID provider. */
export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string;
  /** Allows an `http` provider (tests, labs); never for production. */
  allowHttp: boolean;
  postLogoutRedirectUri?: string | undefined;
}

/** The secrets of one redirect, kept until the callback. */
export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The verified claims of a signed-in provider user: ID token merged with userinfo. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  sid: string | undefined;
  claims: Record<string, unknown>;
}

/** Who a back-channel logout token says signed out. */
export interface LogoutNotice {
  issuer: string;
  subject: string | undefined;
  sid: string | undefined;
}

/** The provider, discovered once and used through openid-client. */
export interface OidcClient {
  authorizationRequest(): Promise<AuthorizationRequest>;
  /** Exchanges the code of `callbackUrl` (PKCE, state, nonce and the ID token all checked). */
  finish(callbackUrl: URL, pending: Omit<AuthorizationRequest, 'url'>): Promise<OidcIdentity>;
  /** Verifies a back-channel logout token (signature, issuer, audience, event, no nonce). */
  verifyLogoutToken(token: string): Promise<LogoutNotice>;
  /** The provider's logout page for RP-initiated logout, when it advertises one. */
  endSessionUrl(): Promise<string | undefined>;
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let openIdModule: Promise<OpenId> | undefined;
const loadOpenId = () => (openIdModule ??= import('openid-client'));

const loginFailed = (cause: unknown) =>
  new AppError('OIDC_LOGIN_FAILED', 'Single sign-on failed: the provider answer was refused', 401, {
    cause,
  });

const invalidLogoutToken = (cause: unknown) =>
  new AppError('INVALID_LOGOUT_TOKEN', 'The logout token was refused', 400, { cause });

/** An OpenID client over `settings`; discovery runs on first use and is retried after a failure. */
export function createOidcClient(settings: OidcSettings, logger: Logger): OidcClient {
  let discovered: Promise<{ openid: OpenId; config: Configuration }> | undefined;

  const discover = () => {
    discovered ??= (async () => {
      const openid = await loadOpenId();
      const config = await openid.discovery(
        new URL(settings.issuerUrl),
        settings.clientId,
        settings.clientSecret,
        undefined,
        { execute: settings.allowHttp ? [openid.allowInsecureRequests] : [] },
      );
      logger.info('oidc provider discovered', { issuer: config.serverMetadata().issuer });
      return { openid, config };
    })().catch((error: unknown) => {
      discovered = undefined;
      throw new AppError(
        'OIDC_PROVIDER_UNAVAILABLE',
        'The sign-on provider cannot be reached',
        502,
        {
          cause: error,
        },
      );
    });
    return discovered;
  };

  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  return {
    authorizationRequest: async () => {
      const { openid, config } = await discover();
      const codeVerifier = openid.randomPKCECodeVerifier();
      const state = openid.randomState();
      const nonce = openid.randomNonce();
      const url = openid.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scopes,
        code_challenge: await openid.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state, nonce, codeVerifier };
    },

    finish: async (callbackUrl, pending) => {
      const { openid, config } = await discover();
      try {
        const tokens = await openid.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new Error('no ID token');
        const userinfo = await openid
          .fetchUserInfo(config, tokens.access_token, idClaims.sub)
          .catch(() => ({}));
        return {
          issuer: idClaims.iss,
          subject: idClaims.sub,
          sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
          claims: { ...userinfo, ...idClaims },
        };
      } catch (error) {
        throw loginFailed(error);
      }
    },

    verifyLogoutToken: async (token) => {
      const { config } = await discover();
      const metadata = config.serverMetadata();
      if (!metadata.jwks_uri) throw invalidLogoutToken('the provider publishes no jwks_uri');
      jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: metadata.issuer,
          audience: settings.clientId,
          requiredClaims: ['iat', 'jti', 'events'],
          maxTokenAge: '5m',
        });
        const events = payload.events as Record<string, unknown> | undefined;
        if (!events || typeof events[LOGOUT_EVENT] !== 'object') throw new Error('no logout event');
        if (payload.nonce !== undefined) throw new Error('a logout token carries no nonce');
        const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
        if (!payload.sub && !sid) throw new Error('neither sub nor sid');
        return { issuer: metadata.issuer, subject: payload.sub, sid };
      } catch (error) {
        throw invalidLogoutToken(error);
      }
    },

    endSessionUrl: async () => {
      const { openid, config } = await discover();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      const parameters: Record<string, string> = { client_id: settings.clientId };
      if (settings.postLogoutRedirectUri) {
        parameters.post_logout_redirect_uri = settings.postLogoutRedirectUri;
      }
      return openid.buildEndSessionUrl(config, parameters).href;
    },
  };
}
