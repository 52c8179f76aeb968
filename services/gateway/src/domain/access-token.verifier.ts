import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError, unauthorized } from '@readur/errors';
import type { IntrospectionClient } from './introspection.client';

/** The caller a credential proves, as of now. */
export interface Identity {
  userId: string;
  role: 'admin' | 'user';
  username: string;
  kind: 'session' | 'api_key';
  scope: 'read' | 'read_write';
  /** The session an access token belongs to; absent for API keys. */
  sessionId?: string;
}

/** Checks a bearer credential (access token or API key) and returns the caller. */
export type AccessTokenVerifier = (credential: string) => Promise<Identity>;

/** The prefix of personal API keys (see the auth service). */
export const API_KEY_PREFIX = 'rdr_key_';

const claims = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  role: z.enum(['admin', 'user']),
  username: z.string().min(1),
});

const AUDIENCE = 'readur-api';

// Failures that say "the JWKS could not be fetched", as opposed to "this token is bad".
function isJwksUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  if (error instanceof errors.JOSEError) return false;
  return error instanceof Error;
}

const revoked = () => unauthorized('The session or key has been revoked or has expired');

/**
 * Verifies ES256 access tokens against the auth service's JWKS (cached by jose, refetched for
 * an unknown `kid`), then asks the auth service (cached briefly) whether the token's session
 * is still live; API keys are only asked about. Only ES256 is accepted, so `alg: none` and
 * HMAC-with-the-public-key tokens fail. Any bad credential is 401 `UNAUTHORIZED`; an
 * unreachable JWKS or auth service is 502.
 */
export function createAccessTokenVerifier(options: {
  jwksUrl: string;
  issuer: string;
  introspect: IntrospectionClient;
}): AccessTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });

  const verifyJwt = async (token: string) => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'sub'],
      });
      const parsed = claims.safeParse(payload);
      if (!parsed.success) throw unauthorized('Invalid access token');
      return parsed.data;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (isJwksUnavailable(error)) {
        throw new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify tokens right now', 502, {
          cause: error,
        });
      }
      throw unauthorized('Invalid or expired access token');
    }
  };

  return async (credential) => {
    if (credential.startsWith(API_KEY_PREFIX)) {
      const answer = await options.introspect({ api_key: credential });
      if (!answer.active || answer.kind !== 'api_key') throw revoked();
      const { user_id: userId, role, username, scope } = answer;
      return { userId, role, username, kind: 'api_key', scope };
    }

    const token = await verifyJwt(credential);
    const answer = await options.introspect({ session_id: token.sid });
    if (!answer.active || answer.user_id !== token.sub) throw revoked();
    return {
      userId: answer.user_id,
      role: answer.role,
      username: answer.username,
      kind: 'session',
      scope: 'read_write',
      sessionId: token.sid,
    };
  };
}
