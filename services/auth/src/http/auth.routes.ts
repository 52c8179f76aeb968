import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '@readur/errors';
import { parseInput } from '@readur/http';
import type { AuthDeps } from '../domain/auth.deps';
import { getCurrentUser } from '../domain/current-user.usecase';
import { login } from '../domain/login.usecase';
import { changePassword } from '../domain/password-change.usecase';
import { registerUser } from '../domain/registration.usecase';
import { endSession, refreshSession } from '../domain/session.service';
import { toUserJson } from '../domain/user.model';
import {
  clientAddress,
  identityOf,
  requireAdmin,
  requireIdentity,
  requireSession,
} from './identity.middleware';
import { toSessionJson } from './session.json';

/** Registration's body; admins' user creation reuses it. */
export const registerBody = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.` and `-` only'),
  email: z.email().max(254).optional(),
  password: z.string().min(1).max(1024),
});

const loginBody = z.object({
  username: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

const refreshBody = z.object({ refresh_token: z.string().min(1).max(256) });

const passwordBody = z.object({
  current_password: z.string().min(1).max(1024),
  new_password: z.string().min(1).max(1024),
});

/** What `/api/auth/config` reports about single sign-on. */
export interface OidcStatus {
  enabled: boolean;
  loginUrl?: string | undefined;
}

/** Sets `Retry-After` on a throttled sign-in before the error handler answers. */
function withRetryAfter(res: Response, error: unknown): never {
  if (error instanceof AppError && error.code === 'LOGIN_THROTTLED') {
    const details = error.details as { retry_after_seconds: number };
    res.setHeader('Retry-After', String(details.retry_after_seconds));
  }
  throw error;
}

/** `/api/auth/*`: sign-up, sign-in, refresh, sign-out, the current user, password, JWKS, config. */
export function authRoutes(deps: AuthDeps, internalToken: string, oidc: OidcStatus): Router {
  const router = Router();
  const identified = requireIdentity(internalToken);

  router.post('/register', async (req, res) => {
    const body = parseInput(registerBody, req.body);
    const user = await registerUser(deps, body);
    res.status(201).json({ user: toUserJson(user) });
  });

  router.post('/login', async (req, res) => {
    const body = parseInput(loginBody, req.body);
    const address = clientAddress(req, internalToken);
    const session = await login(deps, {
      login: body.username,
      password: body.password,
      address,
    }).catch((error: unknown) => withRetryAfter(res, error));
    res.json(toSessionJson(session));
  });

  router.post('/refresh', async (req, res) => {
    const body = parseInput(refreshBody, req.body);
    res.json(toSessionJson(await refreshSession(deps, body.refresh_token)));
  });

  router.post('/logout', identified, requireSession, async (_req, res) => {
    const { sessionId } = identityOf(res);
    if (sessionId) await endSession(deps, sessionId);
    res.status(204).end();
  });

  router.get('/me', identified, async (_req, res) => {
    const user = await getCurrentUser(deps, identityOf(res).userId);
    res.json({ user: toUserJson(user) });
  });

  router.post('/password', identified, requireSession, async (req, res) => {
    const body = parseInput(passwordBody, req.body);
    await changePassword(deps, identityOf(res).userId, {
      currentPassword: body.current_password,
      newPassword: body.new_password,
    });
    res.status(204).end();
  });

  router.post(
    '/signing-keys/rotate',
    identified,
    requireSession,
    requireAdmin,
    async (_req, res) => {
      const rotated = await deps.tokens.rotate();
      res.status(201).json({ kid: rotated.kid, activates_at: rotated.activatesAt.toISOString() });
    },
  );

  router.get('/jwks', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json(await deps.tokens.jwks());
  });

  router.get('/config', (_req, res) => {
    const local = deps.policy.allowLocalAuth;
    res.json({
      methods: { local, oidc: oidc.enabled },
      allow_registration: local && deps.policy.allowRegistration,
      ...(oidc.loginUrl ? { oidc_login_url: oidc.loginUrl } : {}),
    });
  });

  return router;
}
