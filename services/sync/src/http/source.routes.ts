import { Router, type Request } from 'express';
import { identityOf, parseInput } from '@readur/http';
import {
  createSource,
  deleteSource,
  getSource,
  listSources,
  sourceStatus,
  startSyncNow,
  stopSync,
  testSource,
  updateSource,
  type SourceDeps,
} from '../domain/source.usecases';
import { presentSource, presentStatus } from './source.presenter';
import { createSourceSchema, patchSourceSchema, testSourceSchema } from './source.schemas';

const userOf = (req: Request) => identityOf(req).userId;
const callerOf = (req: Request) => identityOf(req);
const idOf = (req: Request) => String(req.params.id);

/** `/api/sources`: a user's sources, their syncs and status. */
export function sourceRoutes(deps: SourceDeps): Router {
  const router = Router();

  router.post('/test', async (req, res) => {
    await testSource(deps, callerOf(req), parseInput(testSourceSchema, req.body));
    res.json({ ok: true });
  });

  router.post('/', async (req, res) => {
    const input = parseInput(createSourceSchema, req.body);
    const source = await createSource(deps, callerOf(req), input);
    res.status(201).json(presentSource(source));
  });

  router.get('/', async (req, res) => {
    res.json({ sources: (await listSources(deps, userOf(req))).map(presentSource) });
  });

  router.get('/:id', async (req, res) => {
    res.json(presentSource(await getSource(deps, userOf(req), idOf(req))));
  });

  router.patch('/:id', async (req, res) => {
    const changes = parseInput(patchSourceSchema, req.body);
    res.json(presentSource(await updateSource(deps, callerOf(req), idOf(req), changes)));
  });

  router.delete('/:id', async (req, res) => {
    await deleteSource(deps, userOf(req), idOf(req));
    res.status(204).end();
  });

  router.post('/:id/sync', async (req, res) => {
    await startSyncNow(deps, userOf(req), idOf(req));
    res.status(202).json({ source_id: idOf(req), state: 'queued' });
  });

  router.post('/:id/sync/stop', async (req, res) => {
    await stopSync(deps, userOf(req), idOf(req));
    res.status(202).json({ source_id: idOf(req), state: 'stopping' });
  });

  router.get('/:id/status', async (req, res) => {
    res.json(presentStatus(await sourceStatus(deps, userOf(req), idOf(req))));
  });

  return router;
}
