import type { NextFunction, Request, Response } from 'express';
import { unauthorized } from '@readur/errors';
import type { AccessTokenVerifier, Identity } from '../domain/access-token.verifier';
import type { Route } from '../domain/route.table';

const BEARER = /^Bearer ([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_.+/=-]*)$/;

/** Removes every header a client could use to pose as the gateway or as another user. */
export function stripTrustHeaders(req: Request): void {
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith('x-user') || name === 'x-internal-token') delete req.headers[name];
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
  if (!identity) return;

  req.headers['x-user-id'] = identity.userId;
  req.headers['x-user-role'] = identity.role;
  req.headers['x-username'] = identity.username;
}

/**
 * Verifies the bearer token when the route needs one and rewrites the trust headers. The
 * route is read from `res.locals.route`, set by the routing middleware.
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

    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match?.[1]) throw unauthorized('Missing or malformed bearer token');

    const identity = await verify(match[1]);
    delete req.headers.authorization;
    setTrustHeaders(req, internalToken, identity);
    next();
  };
}
