import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@readur/http';
import type { AuthDeps } from '../domain/auth.deps';
import { getCurrentUser } from '../domain/current-user.usecase';
import { login } from '../domain/login.usecase';
import { registerUser } from '../domain/registration.usecase';
import { toUserJson } from '../domain/user.model';
import { identityOf, requireIdentity } from './identity.middleware';

const registerBody = z.object({
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

/** `/api/auth/*`: sign-up, sign-in, the current user, the JWKS and the enabled methods. */
export function authRoutes(deps: AuthDeps, internalToken: string): Router {
  const router = Router();

  router.post('/register', async (req, res) => {
    const body = parseInput(registerBody, req.body);
    const user = await registerUser(deps, body);
    res.status(201).json({ user: toUserJson(user) });
  });

  router.post('/login', async (req, res) => {
    const body = parseInput(loginBody, req.body);
    const session = await login(deps, { login: body.username, password: body.password });
    res.json({
      token: session.accessToken.token,
      token_type: 'Bearer',
      expires_in: session.accessToken.expiresIn,
      user: toUserJson(session.user),
    });
  });

  router.get('/me', requireIdentity(internalToken), async (_req, res) => {
    const user = await getCurrentUser(deps, identityOf(res).userId);
    res.json({ user: toUserJson(user) });
  });

  router.get('/jwks', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json(await deps.tokens.jwks());
  });

  router.get('/config', (_req, res) => {
    const local = deps.policy.allowLocalAuth;
    res.json({
      methods: { local, oidc: false },
      allow_registration: local && deps.policy.allowRegistration,
    });
  });

  return router;
}
