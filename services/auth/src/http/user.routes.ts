import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@readur/http';
import type { AuthDeps } from '../domain/auth.deps';
import {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  updateUser,
} from '../domain/user-admin.usecase';
import { toUserJson } from '../domain/user.model';
import { registerBody } from './auth.routes';
import { requireAdmin, requireIdentity } from './identity.middleware';

const role = z.enum(['admin', 'user']);
const createBody = registerBody.extend({ role: role.default('user') });
const patchBody = z
  .object({
    email: z.email().max(254).nullable().optional(),
    role: role.optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(1).max(1024).optional(),
  })
  .strict();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const userParams = z.object({ id: z.uuid() });

/** `/api/users`: user management, for admins only. */
export function userRoutes(deps: AuthDeps, internalToken: string): Router {
  const router = Router();
  router.use(requireIdentity(internalToken), requireAdmin);

  router.get('/', async (req, res) => {
    const page = parseInput(listQuery, req.query);
    const { users, total } = await listUsers(deps, page);
    res.json({ users: users.map(toUserJson), total, ...page });
  });

  router.post('/', async (req, res) => {
    const body = parseInput(createBody, req.body);
    res.status(201).json({ user: toUserJson(await createUser(deps, body)) });
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseInput(userParams, req.params);
    res.json({ user: toUserJson(await getUser(deps, id)) });
  });

  router.patch('/:id', async (req, res) => {
    const { id } = parseInput(userParams, req.params);
    const patch = parseInput(patchBody, req.body);
    res.json({ user: toUserJson(await updateUser(deps, id, patch)) });
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parseInput(userParams, req.params);
    await deleteUser(deps, id);
    res.status(204).end();
  });

  return router;
}
