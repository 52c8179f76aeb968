import { Router } from 'express';
import type { DocumentDeps } from '../domain/document.deps';
import { listOcrLanguages } from '../domain/ocr-language.usecases';

/** `/api/ocr`: what OCR can do, as the ocr-workers announced it. */
export function ocrRoutes(deps: DocumentDeps): Router {
  const router = Router();

  router.get('/languages', async (_req, res) => {
    res.json(await listOcrLanguages(deps.knex));
  });

  return router;
}
