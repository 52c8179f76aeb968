import { Router } from 'express';
import type { DocumentDeps } from '../domain/document.deps';
import { openInternalFile } from '../domain/document.usecases';
import { sendDocumentFile } from './file.response';
import { mountIngestRoutes } from './ingest.routes';
import { mountOcrOutputRoutes } from './ocr-output.routes';

/** `/internal/documents`: service-to-service routes, behind the internal token only. */
export function internalRoutes(deps: DocumentDeps): Router {
  const router = Router();

  router.get('/:id/file', async (req, res) => {
    await sendDocumentFile(res, await openInternalFile(deps, String(req.params.id)));
  });

  mountIngestRoutes(router, deps);
  mountOcrOutputRoutes(router, deps);
  return router;
}
