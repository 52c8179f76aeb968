import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { createEnvelope, EVENT } from '@readur/contracts';
import { documentRepository } from '../data/document.repository';
import { documentSourceRepository } from '../data/document-source.repository';
import { recordEvent } from '../data/event.outbox';
import { ocrJobRepository } from '../data/ocr-job.repository';
import type { DocumentDeps } from './document.deps';
import { documentNotFound, duplicateDocument, emptyFile } from './document.errors';
import { safeFilename } from './document.filename';
import type { DocumentRecord } from './document.types';
import { requestOcrRun } from './ocr-run.usecases';
import { sniffMimeType } from './mime.sniffer';
import { stageFile } from './upload.stager';
import { uploadDocument } from './upload.usecase';

/** A file the sync service found at a source. */
export interface IngestInput {
  userId: string;
  sourceId: string;
  sourcePath: string;
  filename: string;
  stream: Readable;
  correlationId?: string | undefined;
}

/**
 * Creates a document from a source file, exactly like an upload (same checks, same
 * `document.created`), and records which source and path it came from.
 */
export async function ingestDocument(deps: DocumentDeps, input: IngestInput) {
  const staged = await stageFile(deps.storage, input.stream);
  const document = await uploadDocument(deps, {
    userId: input.userId,
    correlationId: input.correlationId,
    staged,
    originalFilename: input.filename,
    labels: [],
    metadata: { source_path: input.sourcePath },
  });
  // A crash before this line leaves an unlinked document; the next sync gets 409 for the same
  // bytes and links it then, so nothing is duplicated.
  await documentSourceRepository.link(deps.knex, document.id, input.sourceId, input.sourcePath);
  return document;
}

/** New bytes for an existing document. */
export interface ReplaceContentInput {
  userId: string;
  documentId: string;
  stream: Readable;
  correlationId?: string | undefined;
}

/** What a content replacement did. */
export interface ReplaceContentResult {
  document: DocumentRecord;
  changed: boolean;
}

/**
 * Stores a new version of a document's content and publishes `document.updated` with
 * `changes: ["content"]`. Identical bytes change nothing (a `touch` at the source).
 */
export async function replaceDocumentContent(
  deps: DocumentDeps,
  input: ReplaceContentInput,
): Promise<ReplaceContentResult> {
  const existing = await documentRepository.findForUser(deps.knex, input.documentId, input.userId);
  if (!existing) {
    input.stream.resume();
    throw documentNotFound();
  }

  const staged = await stageFile(deps.storage, input.stream);
  let currentKey = staged.key;
  try {
    if (staged.size === 0) throw emptyFile();
    if (staged.sha256 === existing.file_hash) return { document: existing, changed: false };

    const duplicateId = await documentRepository.findIdByHash(
      deps.knex,
      input.userId,
      staged.sha256,
    );
    if (duplicateId) throw duplicateDocument(duplicateId);

    const key = `${input.userId}/${existing.id}/${Date.now().toString(36)}/${safeFilename(existing.original_filename)}`;
    await deps.storage.move(staged.key, key);
    currentKey = key;
    const version = {
      storage_key: key,
      file_size: staged.size,
      file_hash: staged.sha256,
      mime_type: await sniffMimeType(staged.head),
    };
    const document = await commitVersion(deps, existing.id, version, input.correlationId);
    currentKey = existing.storage_key;
    deps.logger.info('document content replaced', {
      document_id: existing.id,
      file_size: staged.size,
    });
    return { document, changed: true };
  } finally {
    // Whichever file no row points at any more: the staged one, or the replaced old version.
    await deps.storage.delete(currentKey).catch(() => undefined);
  }
}

async function commitVersion(
  deps: DocumentDeps,
  id: string,
  version: Parameters<typeof documentSourceRepository.replaceContent>[2],
  correlationId: string | undefined,
): Promise<DocumentRecord> {
  return deps.knex.transaction(async (trx) => {
    const updated = await documentSourceRepository.replaceContent(trx, id, version);
    const envelope = createEnvelope(
      EVENT.documentUpdated,
      {
        document_id: id,
        user_id: updated.user_id,
        title: updated.title,
        labels: updated.labels,
        changes: ['content'],
        updated_at: updated.updated_at.toISOString(),
      },
      { correlationId },
    );
    await recordEvent(trx, envelope);
    await requestOcr(trx, updated, correlationId);
    return updated;
  });
}

/**
 * New bytes need new text: a new OCR run replaces any earlier one (whose late events are then
 * ignored) and `ocr.requested` goes out in the same transaction, as for a manual retry, in the
 * languages the document was last read in.
 */
async function requestOcr(
  trx: Knex.Transaction,
  document: DocumentRecord,
  correlationId: string | undefined,
): Promise<void> {
  const ocrLanguages = await ocrJobRepository.ocrLanguagesOf(trx, document.id);
  await requestOcrRun(trx, document, ocrLanguages, correlationId);
}
