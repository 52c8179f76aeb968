import type { Request, Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@readur/http';
import type { DocumentDeps } from '../domain/document.deps';
import { deleteDocument } from '../domain/document.usecases';
import { ingestDocument, replaceDocumentContent } from '../domain/ingest.usecase';
import { presentDocument } from './document.presenter';

const decoded = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    try {
      return decodeURIComponent(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be percent-encoded UTF-8' });
      return z.NEVER;
    }
  });

const ingestHeaders = z.object({
  'x-user-id': z.uuid(),
  'x-source-id': z.uuid(),
  'x-source-path': decoded,
  'x-filename': decoded,
});

const userHeader = z.object({ 'x-user-id': z.uuid() });

/**
 * Routes of the sync service (internal token only): `POST /` creates a document from a raw
 * body, `PUT /:id/content` stores a new version, `DELETE /:id` removes a document whose file
 * was deleted at its source. Names travel percent-encoded in `X-Source-Path` / `X-Filename`.
 */
export function mountIngestRoutes(router: Router, deps: DocumentDeps): void {
  router.post('/', async (req, res) => {
    const headers = parseInput(ingestHeaders, req.headers);
    const document = await ingestDocument(deps, {
      userId: headers['x-user-id'],
      sourceId: headers['x-source-id'],
      sourcePath: headers['x-source-path'],
      filename: headers['x-filename'],
      stream: req,
      correlationId: req.correlationId,
    });
    res.status(201).json(presentDocument(document));
  });

  router.put('/:id/content', async (req, res) => {
    const { document, changed } = await replaceDocumentContent(deps, {
      userId: parseInput(userHeader, req.headers)['x-user-id'],
      documentId: idOf(req),
      stream: req,
      correlationId: req.correlationId,
    });
    res.json({ changed, document: presentDocument(document) });
  });

  router.delete('/:id', async (req, res) => {
    const userId = parseInput(userHeader, req.headers)['x-user-id'];
    await deleteDocument(deps, { userId, correlationId: req.correlationId }, idOf(req));
    res.status(204).end();
  });
}

const idOf = (req: Request): string => String(req.params.id);
