import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@readur/http';
import { createApiKey, listApiKeys, revokeApiKey } from '../domain/api-key.usecase';
import type { AuthDeps } from '../domain/auth.deps';
import { identityOf, requireIdentity, requireSession } from './identity.middleware';

const createBody = z.object({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(['read', 'read_write']).default('read'),
  expires_at: z.iso
    .datetime({ offset: true })
    .refine((value) => new Date(value).getTime() > Date.now(), 'must be in the future')
    .nullable()
    .optional(),
});

const keyParams = z.object({ id: z.uuid() });

/** `/api/auth/keys`: the caller's personal API keys; a signed-in session is required. */
export function apiKeyRoutes(deps: AuthDeps, internalToken: string): Router {
  const router = Router();
  router.use(requireIdentity(internalToken), requireSession);

  router.post('/', async (req, res) => {
    const body = parseInput(createBody, req.body);
    const key = await createApiKey(deps, identityOf(res).userId, {
      name: body.name,
      scope: body.scope,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    });
    res.status(201).json(key);
  });

  router.get('/', async (_req, res) => {
    res.json({ keys: await listApiKeys(deps, identityOf(res).userId) });
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parseInput(keyParams, req.params);
    await revokeApiKey(deps, identityOf(res).userId, id);
    res.status(204).end();
  });

  return router;
}
