import type { Readable } from 'node:stream';
import { createEnvelope, EVENT } from '@readur/contracts';
import { AppError } from '@readur/errors';
import { isStorageNotFound, type ByteRange } from '@readur/storage';
import { recordEvent } from '../data/event.outbox';
import { derivedKeys } from './archive.builder';
import {
  documentRepository,
  type Db,
  type DocumentChanges,
  type DocumentFilter,
} from '../data/document.repository';
import type { DocumentDeps } from './document.deps';
import { documentNotFound } from './document.errors';
import type { DocumentPage, DocumentRecord, OcrStatus, Paged } from './document.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who is asking, as the gateway vouched for it. */
export interface Caller {
  userId: string;
  correlationId?: string | undefined;
}

/** The caller's document, or 404 (also for other users' documents and malformed ids). */
async function findOwned(db: Db, caller: Caller, id: string, lock = false) {
  if (!UUID.test(id)) throw documentNotFound();

  const document = lock
    ? await documentRepository.findById(db, id, true)
    : await documentRepository.findForUser(db, id, caller.userId);
  if (!document || document.user_id !== caller.userId) throw documentNotFound();
  return document;
}

/** One of the caller's documents. */
export function getDocument(deps: DocumentDeps, caller: Caller, id: string) {
  return findOwned(deps.knex, caller, id);
}

/** The caller's documents, newest first. */
export function listDocuments(
  deps: DocumentDeps,
  filter: DocumentFilter,
  limit: number,
  offset: number,
): Promise<Paged<DocumentRecord>> {
  return documentRepository.list(deps.knex, filter, limit, offset);
}

/** The stored bytes of a document and what to label them with. */
export interface DocumentFile {
  document: DocumentRecord;
  stream: Readable;
  /** The part of the file `stream` holds, when only a part was asked for. */
  range?: ByteRange | undefined;
}

/** A row without its file is a fault of this service (500), never the caller's. */
async function openStored(
  deps: DocumentDeps,
  document: DocumentRecord,
  range?: ByteRange,
): Promise<Readable> {
  try {
    return await deps.storage.get(document.storage_key, range);
  } catch (error) {
    if (!isStorageNotFound(error)) throw error;
    throw new AppError('DOCUMENT_FILE_MISSING', 'The stored file is missing', 500, {
      cause: error,
    });
  }
}

/**
 * Streams one of the caller's documents, or the part `pick` chooses once the file's size is
 * known (an HTTP `Range`).
 */
export async function openDocumentFile(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
  pick?: (size: number) => ByteRange | undefined,
): Promise<DocumentFile> {
  const document = await findOwned(deps.knex, caller, id);
  const range = pick?.(document.file_size);
  return { document, range, stream: await openStored(deps, document, range) };
}

/** Streams any document, for services that hold the internal token (the ocr-worker). */
export async function openInternalFile(deps: DocumentDeps, id: string): Promise<DocumentFile> {
  if (!UUID.test(id)) throw documentNotFound();

  const document = await documentRepository.findById(deps.knex, id);
  if (!document) throw documentNotFound();
  return { document, stream: await openStored(deps, document) };
}

/** The OCR outcome of one of the caller's documents. */
export interface OcrView {
  status: OcrStatus;
  text: string | null;
  confidence: number | null;
  pages: DocumentPage[];
}

/** The OCR text and pages of one of the caller's documents. */
export async function getOcrResult(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
): Promise<OcrView> {
  const document = await findOwned(deps.knex, caller, id);

  const [text, pages] = await Promise.all([
    documentRepository.ocrText(deps.knex, id),
    documentRepository.pages(deps.knex, id),
  ]);
  return { status: document.ocr_status, text, confidence: document.ocr_confidence, pages };
}

const changedFields = (document: DocumentRecord, changes: DocumentChanges): string[] =>
  (Object.keys(changes) as (keyof DocumentChanges)[]).filter(
    (field) => JSON.stringify(changes[field]) !== JSON.stringify(document[field]),
  );

/** Changes title, labels or metadata; publishes `document.updated` naming what changed. */
export function updateDocument(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
  changes: DocumentChanges,
): Promise<DocumentRecord> {
  return deps.knex.transaction(async (trx) => {
    const document = await findOwned(trx, caller, id, true);

    const changed = changedFields(document, changes);
    if (changed.length === 0) return document;

    const updated = await documentRepository.update(trx, id, changes);
    const envelope = createEnvelope(
      EVENT.documentUpdated,
      {
        document_id: id,
        user_id: updated.user_id,
        title: updated.title,
        labels: updated.labels,
        changes: changed,
        updated_at: updated.updated_at.toISOString(),
      },
      { correlationId: caller.correlationId },
    );
    await recordEvent(trx, envelope);
    return updated;
  });
}

/** Deletes the rows, publishes `document.deleted`, then removes the stored file. */
export async function deleteDocument(deps: DocumentDeps, caller: Caller, id: string) {
  const document = await deps.knex.transaction(async (trx) => {
    const found = await findOwned(trx, caller, id, true);
    await documentRepository.delete(trx, id);

    const envelope = createEnvelope(
      EVENT.documentDeleted,
      {
        document_id: id,
        user_id: found.user_id,
        title: found.title,
        deleted_at: new Date().toISOString(),
      },
      { correlationId: caller.correlationId },
    );
    await recordEvent(trx, envelope);
    return found;
  });

  // After the commit: a crash here leaves an orphan file, never a row without its file.
  const derived = derivedKeys(document.user_id, id);
  for (const key of [document.storage_key, derived.archive, derived.thumbnail]) {
    await deps.storage.delete(key).catch((error: unknown) => {
      deps.logger.warn('could not remove a deleted document file', { document_id: id, error });
    });
  }
  deps.logger.info('document deleted', { document_id: id, user_id: document.user_id });
}
