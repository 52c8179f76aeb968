import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@readur/http';
import type { AuthDeps } from '../domain/auth.deps';
import { introspect } from '../domain/introspection.usecase';
import { requireInternalToken } from './identity.middleware';

const introspectBody = z.union([
  z.object({ session_id: z.uuid() }).strict(),
  z.object({ api_key: z.string().min(1).max(256) }).strict(),
]);

/** `/internal/auth/*`: for the gateway only, behind the internal token. */
export function internalRoutes(deps: AuthDeps, internalToken: string): Router {
  const router = Router();
  router.use(requireInternalToken(internalToken));

  router.post('/introspect', async (req, res) => {
    const body = parseInput(introspectBody, req.body);
    res.set('Cache-Control', 'no-store');
    res.json(await introspect(deps, body));
  });

  return router;
}
