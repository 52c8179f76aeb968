import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { unauthorized } from '@readur/errors';
import type { Role } from '../domain/user.model';

/** The caller the gateway vouched for. */
export interface Identity {
  userId: string;
  role: Role;
  username: string;
}

const identityHeaders = z.object({
  'x-user-id': z.uuid(),
  'x-user-role': z.enum(['admin', 'user']),
  'x-username': z.string().min(1).optional(),
});

/** Constant-time comparison of a presented secret with the expected one. */
export function sameSecret(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Accepts `X-User-*` only alongside the right `X-Internal-Token`; otherwise 401. The identity
 * is left in `res.locals.identity`.
 */
export function requireIdentity(internalToken: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!sameSecret(req.headers['x-internal-token'], internalToken)) throw unauthorized();

    const parsed = identityHeaders.safeParse(req.headers);
    if (!parsed.success) throw unauthorized();

    const identity: Identity = {
      userId: parsed.data['x-user-id'],
      role: parsed.data['x-user-role'],
      username: parsed.data['x-username'] ?? '',
    };
    res.locals.identity = identity;
    next();
  };
}

/** The identity `requireIdentity` stored. */
export function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}
