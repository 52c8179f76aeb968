import { Router, type Request } from 'express';
import { identityOf, parseInput } from '@readur/http';
import type { DocumentDeps } from '../domain/document.deps';
import {
  deleteDocument,
  getDocument,
  getOcrResult,
  listDocuments,
  openDocumentFile,
  updateDocument,
  type Caller,
} from '../domain/document.usecases';
import { originalFilename } from '../domain/document.filename';
import { stageFile } from '../domain/upload.stager';
import { uploadDocument } from '../domain/upload.usecase';
import { listQuerySchema, patchBodySchema } from './document.schemas';
import { presentDocument } from './document.presenter';
import { requestedRange, sendDocumentFile } from './file.response';
import { uploadFieldsSchema } from './upload.fields';
import { readUpload } from './upload.parser';

/** What the document routes need. */
export interface DocumentRouteDeps extends DocumentDeps {
  maxUploadBytes: number;
}

const callerOf = (req: Request): Caller => ({
  userId: identityOf(req).userId,
  correlationId: req.correlationId,
});

const idOf = (req: Request): string => String(req.params.id);

/** `/api/documents`: upload, list, read, download, OCR text, edit and delete. */
export function documentRoutes(deps: DocumentRouteDeps): Router {
  const router = Router();

  const upload = async (req: Request, res: import('express').Response) => {
    const caller = callerOf(req);
    const parsed = await readUpload(req, {
      maxFileBytes: deps.maxUploadBytes,
      stage: (stream) => stageFile(deps.storage, stream),
      discard: (key) => deps.storage.delete(key),
    });

    let fields;
    try {
      fields = parseInput(uploadFieldsSchema, parsed.fields);
    } catch (error) {
      await deps.storage.delete(parsed.staged.key);
      throw error;
    }

    const document = await uploadDocument(deps, {
      ...caller,
      staged: parsed.staged,
      originalFilename: originalFilename(parsed.filename),
      ...fields,
    });
    res.status(201).json(presentDocument(document));
  };
  router.post('/upload', upload);
  router.post('/', upload);

  router.get('/', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query);
    const filter = {
      userId: identityOf(req).userId,
      mimeType: query.mime_type,
      ocrStatus: query.ocr_status,
    };
    const page = await listDocuments(deps, filter, query.limit, query.offset);
    res.json({
      documents: page.items.map(presentDocument),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    });
  });

  router.get('/:id', async (req, res) => {
    res.json(presentDocument(await getDocument(deps, callerOf(req), idOf(req))));
  });

  router.get('/:id/download', async (req, res) => {
    const pick = requestedRange(req, res);
    await sendDocumentFile(res, await openDocumentFile(deps, callerOf(req), idOf(req), pick));
  });

  router.get('/:id/ocr', async (req, res) => {
    res.json(await getOcrResult(deps, callerOf(req), idOf(req)));
  });

  router.patch('/:id', async (req, res) => {
    const changes = parseInput(patchBodySchema, req.body ?? {});
    res.json(presentDocument(await updateDocument(deps, callerOf(req), idOf(req), changes)));
  });

  router.delete('/:id', async (req, res) => {
    await deleteDocument(deps, callerOf(req), idOf(req));
    res.status(204).end();
  });

  return router;
}
