import { randomUUID } from 'node:crypto';
import { createEnvelope, EVENT } from '@readur/contracts';
import { recordEvent } from '../data/event.outbox';
import { documentRepository, DuplicateHashError } from '../data/document.repository';
import type { DocumentDeps } from './document.deps';
import { duplicateDocument, emptyFile } from './document.errors';
import { defaultTitle, safeFilename } from './document.filename';
import type { DocumentRecord } from './document.types';
import { sniffMimeType } from './mime.sniffer';
import { checkOcrLanguages } from './ocr-language.usecases';
import type { StagedFile } from './upload.stager';

/** An upload whose bytes are staged and whose form fields are parsed. */
export interface UploadInput {
  userId: string;
  correlationId?: string | undefined;
  staged: StagedFile;
  originalFilename: string;
  title?: string | undefined;
  labels: string[];
  metadata: Record<string, unknown>;
  /** This document's OCR languages (`eng+deu`); the workers' default when absent. */
  ocr_languages?: string | undefined;
}

/**
 * Turns a staged file into a document: refuses empty files and duplicates, sniffs the type,
 * moves the bytes to their final key, and commits the row with `document.created`.
 * The staged or stored file is removed whenever no row ends up pointing at it.
 */
export async function uploadDocument(
  deps: DocumentDeps,
  input: UploadInput,
): Promise<DocumentRecord> {
  const { knex, storage } = deps;
  const { staged, userId } = input;
  let currentKey = staged.key;

  try {
    if (staged.size === 0) throw emptyFile();
    const ocrLanguages = input.ocr_languages
      ? await checkOcrLanguages(knex, input.ocr_languages)
      : undefined;

    const existingId = await documentRepository.findIdByHash(knex, userId, staged.sha256);
    if (existingId) throw duplicateDocument(existingId);

    const id = randomUUID();
    const filename = safeFilename(input.originalFilename);
    const finalKey = `${userId}/${id}/${filename}`;
    const mimeType = await sniffMimeType(staged.head);
    await storage.move(staged.key, finalKey);
    currentKey = finalKey;

    const document = await insertWithEvent(deps, input, {
      id,
      user_id: userId,
      title: input.title ?? defaultTitle(input.originalFilename),
      filename,
      original_filename: input.originalFilename,
      storage_key: finalKey,
      mime_type: mimeType,
      file_size: staged.size,
      file_hash: staged.sha256,
      labels: input.labels,
      metadata: input.metadata,
      ocr_languages: ocrLanguages ?? null,
    });

    deps.logger.info('document stored', {
      document_id: id,
      user_id: userId,
      mime_type: mimeType,
      file_size: staged.size,
    });
    return document;
  } catch (error) {
    await storage.delete(currentKey).catch((cleanupError: unknown) => {
      deps.logger.warn('could not remove an unused file', { key: currentKey, error: cleanupError });
    });
    throw error;
  }
}

async function insertWithEvent(
  deps: DocumentDeps,
  input: UploadInput,
  row: Parameters<typeof documentRepository.insert>[1],
): Promise<DocumentRecord> {
  try {
    return await deps.knex.transaction(async (trx) => {
      const document = await documentRepository.insert(trx, row);
      const envelope = createEnvelope(
        EVENT.documentCreated,
        {
          document_id: document.id,
          user_id: document.user_id,
          title: document.title,
          filename: document.filename,
          file_size: document.file_size,
          mime_type: document.mime_type,
          file_hash: document.file_hash,
          labels: document.labels,
          ...(row.ocr_languages ? { ocr_languages: row.ocr_languages } : {}),
          created_at: document.created_at.toISOString(),
        },
        { correlationId: input.correlationId },
      );
      await recordEvent(trx, envelope);
      return document;
    });
  } catch (error) {
    if (!(error instanceof DuplicateHashError)) throw error;

    // A concurrent identical upload won the unique index between the check and the insert.
    const winnerId = await documentRepository.findIdByHash(deps.knex, row.user_id, row.file_hash);
    throw duplicateDocument(winnerId ?? 'unknown');
  }
}
