import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { identityOf, parseInput } from '@readur/http';
import type { DocumentDeps } from '../domain/document.deps';
import type { Caller } from '../domain/document.usecases';
import {
  openArchive,
  openThumbnail,
  queueStats,
  retryOcr,
  storeArchivePage,
  storeThumbnail,
  type DerivedFile,
} from '../domain/ocr-output.usecases';
import { attachmentDisposition } from './file.response';

const callerOf = (req: Request): Caller => ({
  userId: identityOf(req).userId,
  correlationId: req.correlationId,
});

const retryBodySchema = z
  .object({ ocr_languages: z.string().trim().min(1).max(200).optional() })
  .strict();

async function sendDerived(res: Response, file: DerivedFile): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', file.contentType);
  if (file.size !== undefined) res.setHeader('Content-Length', String(file.size));
  if (file.filename) res.setHeader('Content-Disposition', attachmentDisposition(file.filename));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, max-age=300');
  try {
    await pipeline(file.stream, res);
  } catch (error) {
    file.stream.destroy();
    res.destroy(error instanceof Error ? error : undefined);
  }
}

/** `/api/documents/:id/archive`, `/thumbnail` and `/ocr/retry`: what OCR made, and a retry. */
export function ocrOutputRoutes(deps: DocumentDeps): Router {
  const router = Router();

  router.get('/:id/archive', async (req, res) => {
    await sendDerived(res, await openArchive(deps, callerOf(req), String(req.params.id)));
  });

  router.get('/:id/thumbnail', async (req, res) => {
    const thumbnail = await openThumbnail(deps, callerOf(req), String(req.params.id));
    if (thumbnail.file) return sendDerived(res, thumbnail.file);

    res.setHeader('Content-Type', 'image/webp');
    res.setHeader('X-Thumbnail-Placeholder', 'true');
    res.setHeader('Cache-Control', 'private, max-age=60');
    res.status(200).end(thumbnail.placeholder);
  });

  router.post('/:id/ocr/retry', async (req, res) => {
    const body = parseInput(retryBodySchema, req.body ?? {});
    const accepted = await retryOcr(deps, callerOf(req), String(req.params.id), body.ocr_languages);
    res.status(202).json(accepted);
  });

  return router;
}

/** `/api/queue`: the OCR queue as an operator sees it. */
export function queueRoutes(deps: DocumentDeps): Router {
  const router = Router();

  router.get('/stats', async (req, res) => {
    const counts = await queueStats(deps, identityOf(req));
    res.json({
      pending: counts.pending,
      processing: counts.processing,
      failed: counts.failed,
      completed_today: counts.completedToday,
      oldest_pending_age_seconds:
        counts.oldestPendingSeconds === null ? null : Math.round(counts.oldestPendingSeconds),
      pages_pending: counts.pagesPending,
    });
  });

  return router;
}

/** `/internal/documents/:id/archive/pages/:page` and `/thumbnail`: bytes from the workers. */
export function mountOcrOutputRoutes(router: Router, deps: DocumentDeps): void {
  router.put('/:id/archive/pages/:page', async (req, res) => {
    const jobId = typeof req.query.job_id === 'string' ? req.query.job_id : '';
    await storeArchivePage(deps, String(req.params.id), jobId, Number(req.params.page), req);
    res.status(204).end();
  });

  router.put('/:id/thumbnail', async (req, res) => {
    const stored = await storeThumbnail(deps, String(req.params.id), req);
    res.status(stored ? 201 : 200).json({ stored });
  });
}
