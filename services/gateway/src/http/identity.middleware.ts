import type { NextFunction, Request, Response } from 'express';
import { AppError, forbidden, unauthorized } from '@readur/errors';
import type { AccessTokenVerifier, Identity } from '../domain/access-token.verifier';
import type { Route } from '../domain/route.table';

// An access token (three base64url parts) or an API key (`rdr_key_` and base64url). The
// scheme name is case-insensitive (RFC 7235), so `bearer` and `BEARER` are accepted too.
const BEARER =
  /^Bearer +([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_.+/=-]*|rdr_key_[A-Za-z0-9_-]{20,200})$/i;

/** Removes every header a client could use to pose as the gateway or as another user. */
export function stripTrustHeaders(req: Request): void {
  for (const name of Object.keys(req.headers)) {
    if (
      name.startsWith('x-user') ||
      name.startsWith('x-auth-') ||
      name === 'x-internal-token' ||
      name === 'x-session-id' ||
      name === 'x-client-address'
    ) {
      delete req.headers[name];
    }
  }
}

/** Sets the headers services trust, for the upstream request built from `req.headers`. */
export function setTrustHeaders(
  req: Request,
  internalToken: string,
  identity: Identity | undefined,
): void {
  req.headers['x-request-id'] = req.id;
  req.headers['x-correlation-id'] = req.correlationId;
  req.headers['x-internal-token'] = internalToken;
  req.headers['x-client-address'] = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  if (!identity) return;

  req.headers['x-user-id'] = identity.userId;
  req.headers['x-user-role'] = identity.role;
  req.headers['x-username'] = identity.username;
  req.headers['x-auth-kind'] = identity.kind;
  req.headers['x-auth-scope'] = identity.scope;
  if (identity.sessionId) req.headers['x-session-id'] = identity.sessionId;
}

/** The bearer credential of a request, or 401. */
export function bearerCredential(header: string | undefined): string {
  const match = BEARER.exec(header ?? '');
  if (!match?.[1]) throw unauthorized('Missing or malformed bearer token');
  return match[1];
}

/**
 * What `identity` may do on `route`: admins-only routes need an admin (403 `FORBIDDEN`),
 * credential management needs a session (403 `SESSION_REQUIRED`), and a read-scope key may
 * not change anything (403 `INSUFFICIENT_SCOPE`).
 */
export function authorize(route: Route, identity: Identity): void {
  if (route.access === 'admin' && identity.role !== 'admin') throw forbidden('Admin role required');
  if (route.sessionOnly && identity.kind !== 'session') {
    throw new AppError(
      'SESSION_REQUIRED',
      'This action needs a signed-in session, not an API key',
      403,
    );
  }
  if (route.write && identity.scope === 'read') {
    throw new AppError('INSUFFICIENT_SCOPE', 'This API key may only read', 403);
  }
}

/**
 * Verifies the bearer credential when the route needs one, checks the route's access rules
 * and rewrites the trust headers. The route is read from `res.locals.route`.
 */
export function authenticate(verify: AccessTokenVerifier, internalToken: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const route = res.locals.route as Route;
    stripTrustHeaders(req);

    if (!route.authenticated) {
      setTrustHeaders(req, internalToken, undefined);
      next();
      return;
    }

    const identity = await verify(bearerCredential(req.headers.authorization));
    authorize(route, identity);
    delete req.headers.authorization;
    setTrustHeaders(req, internalToken, identity);
    res.locals.identity = identity;
    next();
  };
}
