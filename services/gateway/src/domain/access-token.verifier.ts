import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError, unauthorized } from '@readur/errors';

/** The caller an access token proves. */
export interface Identity {
  userId: string;
  role: 'admin' | 'user';
  username: string;
}

/** Checks an access token and returns the caller. */
export type AccessTokenVerifier = (token: string) => Promise<Identity>;

const claims = z.object({
  sub: z.uuid(),
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

/**
 * Verifies ES256 access tokens against the auth service's JWKS (cached by jose, refetched for
 * an unknown `kid`). Only ES256 is accepted, so `alg: none` and HMAC-with-the-public-key
 * tokens fail. Any bad token is 401 `UNAUTHORIZED`; an unreachable JWKS is 502.
 */
export function createAccessTokenVerifier(options: {
  jwksUrl: string;
  issuer: string;
}): AccessTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });

  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'sub'],
      });
      const parsed = claims.safeParse(payload);
      if (!parsed.success) throw unauthorized('Invalid access token');

      return { userId: parsed.data.sub, role: parsed.data.role, username: parsed.data.username };
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
}
