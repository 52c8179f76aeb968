import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError, forbidden, unauthorized } from '@readur/errors';
import type { Role } from '../domain/user.model';

/** The caller the gateway vouched for. */
export interface Identity {
  userId: string;
  role: Role;
  username: string;
  /** How the caller authenticated: a session's access token or a personal API key. */
  kind: 'session' | 'api_key';
  /** The session of an access token; absent for API keys. */
  sessionId: string | undefined;
  scope: 'read' | 'read_write';
}

const identityHeaders = z.object({
  'x-user-id': z.uuid(),
  'x-user-role': z.enum(['admin', 'user']),
  'x-username': z.string().min(1).optional(),
  'x-auth-kind': z.enum(['session', 'api_key']).default('session'),
  'x-auth-scope': z.enum(['read', 'read_write']).default('read_write'),
  'x-session-id': z.uuid().optional(),
});

/** Constant-time comparison of a presented secret with the expected one. */
export function sameSecret(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Accepts only callers that present the internal token (the gateway, other services). */
export function requireInternalToken(internalToken: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!sameSecret(req.headers['x-internal-token'], internalToken)) throw unauthorized();
    next();
  };
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
      kind: parsed.data['x-auth-kind'],
      sessionId: parsed.data['x-session-id'],
      scope: parsed.data['x-auth-scope'],
    };
    res.locals.identity = identity;
    next();
  };
}

/** The identity `requireIdentity` stored. */
export function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}

/** 403 unless the caller is an admin. Runs after `requireIdentity`. */
export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (identityOf(res).role !== 'admin') throw forbidden('Admin role required');
  next();
}

/**
 * 403 `SESSION_REQUIRED` for API keys: managing keys and passwords needs a signed-in person,
 * so a leaked key cannot mint more keys or lock its owner out.
 */
export function requireSession(_req: Request, res: Response, next: NextFunction): void {
  if (identityOf(res).kind !== 'session') {
    throw new AppError(
      'SESSION_REQUIRED',
      'This action needs a signed-in session, not an API key',
      403,
    );
  }
  next();
}

/**
 * The caller's network address: `X-Client-Address` when the gateway vouches for it with the
 * internal token, else the socket peer.
 */
export function clientAddress(req: Request, internalToken: string): string {
  const forwarded = req.headers['x-client-address'];
  if (typeof forwarded === 'string' && sameSecret(req.headers['x-internal-token'], internalToken)) {
    return forwarded;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
