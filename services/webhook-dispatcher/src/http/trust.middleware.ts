import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { unauthorized } from '@readur/errors';
import type { Caller } from '../domain/webhook.model';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const callers = new WeakMap<Request, Caller>();

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Accepts `X-User-Id` / `X-User-Role` only with a valid `X-Internal-Token`: the gateway strips
 * client-sent `X-User-*` headers, so together they are trustworthy. Anything else is 401.
 */
export function requireUser(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const presented = Buffer.from(header(req, 'x-internal-token') ?? '');
    const userId = header(req, 'x-user-id');
    const trusted = presented.length === expected.length && timingSafeEqual(presented, expected);
    if (!trusted || !userId || !UUID.test(userId)) {
      next(unauthorized());
      return;
    }

    const role = header(req, 'x-user-role') === 'admin' ? 'admin' : 'user';
    callers.set(req, { userId: userId.toLowerCase(), role, correlationId: req.correlationId });
    next();
  };
}

/** The caller `requireUser` accepted. */
export function callerOf(req: Request): Caller {
  const caller = callers.get(req);
  if (!caller) throw unauthorized();
  return caller;
}
