import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { unauthorized } from '@readur/errors';

/** Who the gateway says is calling. */
export interface Identity {
  userId: string;
  role: 'admin' | 'user';
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** Set by `requireUser` once the internal token and `X-User-Id` were accepted. */
      identity?: Identity;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function tokenMatches(presented: string | undefined, expected: Buffer): boolean {
  if (!presented) return false;
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Accepts only callers that present `X-Internal-Token` (other services and the gateway). */
export function requireInternalToken(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!tokenMatches(header(req, 'x-internal-token'), expected)) {
      next(unauthorized('A valid internal token is required'));
      return;
    }
    next();
  };
}

/**
 * Accepts `X-User-Id` / `X-User-Role` only together with a valid `X-Internal-Token`; the
 * gateway strips client-sent `X-User-*` headers, so these are trustworthy here.
 */
export function requireUser(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const userId = header(req, 'x-user-id');
    if (!tokenMatches(header(req, 'x-internal-token'), expected) || !userId || !UUID.test(userId)) {
      next(unauthorized());
      return;
    }

    const role = header(req, 'x-user-role') === 'admin' ? 'admin' : 'user';
    req.identity = { userId: userId.toLowerCase(), role };
    next();
  };
}

/** The identity `requireUser` set; routes behind it can rely on it. */
export function identityOf(req: Request): Identity {
  if (!req.identity) throw unauthorized();
  return req.identity;
}
