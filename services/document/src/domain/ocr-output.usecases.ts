import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { AppError } from '@readur/errors';
import { documentRepository } from '../data/document.repository';
import { ocrJobRepository, type QueueCounts } from '../data/ocr-job.repository';
import { derivedKeys } from './archive.builder';
import type { DocumentDeps } from './document.deps';
import { documentNotFound } from './document.errors';
import type { DocumentRecord } from './document.types';
import { getDocument, type Caller } from './document.usecases';
import { checkOcrLanguages } from './ocr-language.usecases';
import { requestOcrRun } from './ocr-run.usecases';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 404 when a document has no archive PDF (text-only documents, OCR not finished or failed). */
export const archiveNotFound = () =>
  new AppError('ARCHIVE_NOT_FOUND', 'This document has no searchable archive PDF', 404);

/** 404 while the thumbnail of a document with a picture is still being made. */
export const thumbnailNotReady = () =>
  new AppError('THUMBNAIL_NOT_READY', 'The thumbnail is made during OCR; try again later', 404);

/** 409 when a retry is asked for while OCR is still queued or running. */
export const ocrInProgress = (status: string) =>
  new AppError('OCR_IN_PROGRESS', `OCR of this document is ${status}`, 409, {
    details: { ocr_status: status },
  });

/** A stored derived file to stream. */
export interface DerivedFile {
  stream: Readable;
  contentType: string;
  size?: number | undefined;
  filename?: string;
}

async function internalDocument(deps: DocumentDeps, id: string): Promise<DocumentRecord> {
  if (!UUID.test(id)) throw documentNotFound();
  const document = await documentRepository.findById(deps.knex, id);
  if (!document) throw documentNotFound();
  return document;
}

/** Stores a worker's searchable PDF of one page of run `jobId`, for the archive. */
export async function storeArchivePage(
  deps: DocumentDeps,
  id: string,
  jobId: string,
  page: number,
  body: Readable,
): Promise<void> {
  if (!UUID.test(jobId) || !Number.isInteger(page) || page < 1) {
    throw new AppError(
      'VALIDATION_FAILED',
      'job_id must be a uuid and page a positive integer',
      400,
    );
  }
  const document = await internalDocument(deps, id);

  const key = derivedKeys(document.user_id, document.id).archivePage(jobId, page);
  await deps.storage.put(key, body);
  await ocrJobRepository.recordArchivePage(deps.knex, document.id, jobId, page, key);
}

/** Stores the first page's thumbnail once; false (and nothing written) when one exists. */
export async function storeThumbnail(
  deps: DocumentDeps,
  id: string,
  body: Readable,
): Promise<boolean> {
  const document = await internalDocument(deps, id);
  const existing = await ocrJobRepository.derivedKeys(deps.knex, document.id);
  if (existing?.thumbnail_key) {
    body.resume();
    return false;
  }

  const key = derivedKeys(document.user_id, document.id).thumbnail;
  await deps.storage.put(key, body);
  return ocrJobRepository.setThumbnailKey(deps.knex, document.id, key);
}

const baseName = (filename: string) => filename.replace(/\.[^.]*$/u, '') || 'document';

/** The searchable archive PDF of one of the caller's documents. */
export async function openArchive(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
): Promise<DerivedFile> {
  const document = await getDocument(deps, caller, id);
  const keys = await ocrJobRepository.derivedKeys(deps.knex, document.id);
  if (!keys?.archive_key) throw archiveNotFound();

  const stat = await deps.storage.stat(keys.archive_key);
  if (!stat) throw archiveNotFound();
  return {
    stream: await deps.storage.get(keys.archive_key),
    contentType: 'application/pdf',
    size: stat.size,
    filename: `${baseName(document.original_filename)}.searchable.pdf`,
  };
}

/** Types that have a first page to picture. */
const hasPicture = (mimeType: string) => mimeType.startsWith('image/') || mimeType.includes('pdf');

let placeholder: Promise<Buffer> | undefined;

/** A plain sheet with a folded corner and lines of text, 400 px wide (made once). */
function placeholderImage(): Promise<Buffer> {
  const lines = Array.from(
    { length: 12 },
    (_, row) =>
      `<rect x="60" y="${150 + row * 30}" width="${row % 4 === 3 ? 180 : 280}" height="10" fill="#c8ccd2"/>`,
  ).join('');
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="566">' +
    '<rect width="400" height="566" fill="#f4f5f7"/>' +
    '<path d="M40 30 H300 L360 90 V536 H40 Z" fill="#ffffff" stroke="#9aa1ab" stroke-width="4"/>' +
    `<path d="M300 30 V90 H360" fill="#e3e6ea" stroke="#9aa1ab" stroke-width="4"/>${lines}</svg>`;
  placeholder ??= sharp(Buffer.from(svg)).webp({ quality: 80 }).toBuffer();
  return placeholder;
}

/**
 * The thumbnail of one of the caller's documents: the stored one, else a placeholder for
 * types without a picture (text files) and for files that could not be read (OCR failed:
 * encrypted, corrupt); 404 `THUMBNAIL_NOT_READY` while OCR is still to make it.
 */
export async function openThumbnail(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
): Promise<{ file?: DerivedFile; placeholder?: Buffer }> {
  const document = await getDocument(deps, caller, id);
  const keys = await ocrJobRepository.derivedKeys(deps.knex, document.id);
  if (keys?.thumbnail_key && (await deps.storage.exists(keys.thumbnail_key))) {
    return {
      file: { stream: await deps.storage.get(keys.thumbnail_key), contentType: 'image/webp' },
    };
  }

  const finished = document.ocr_status === 'completed' || document.ocr_status === 'failed';
  if (!hasPicture(document.mime_type) || finished) return { placeholder: await placeholderImage() };
  throw thumbnailNotReady();
}

/** What a retry answers. */
export interface RetryAccepted {
  document_id: string;
  job_id: string;
  ocr_status: 'pending';
  ocr_languages: string | null;
}

/**
 * Puts one of the caller's documents back into the OCR queue, optionally with other
 * languages: a new run replaces the old one (whose late events are then ignored) and
 * `ocr.requested` is published in the same transaction. Refused with 409 while OCR is queued
 * or running.
 */
export async function retryOcr(
  deps: DocumentDeps,
  caller: Caller,
  id: string,
  languages?: string,
): Promise<RetryAccepted> {
  const checked =
    languages === undefined ? undefined : await checkOcrLanguages(deps.knex, languages);

  return deps.knex.transaction(async (trx) => {
    const document = UUID.test(id) ? await documentRepository.findById(trx, id, true) : undefined;
    if (!document || document.user_id !== caller.userId) throw documentNotFound();
    if (document.ocr_status === 'pending' || document.ocr_status === 'processing') {
      throw ocrInProgress(document.ocr_status);
    }

    const ocrLanguages = checked ?? (await ocrJobRepository.ocrLanguagesOf(trx, id));
    const jobId = await requestOcrRun(trx, document, ocrLanguages, caller.correlationId);
    deps.logger.info('OCR requeued', { document_id: id, job_id: jobId });
    return { document_id: id, job_id: jobId, ocr_status: 'pending', ocr_languages: ocrLanguages };
  });
}

/** Queue figures: every document for an admin, the caller's own otherwise. */
export function queueStats(
  deps: DocumentDeps,
  identity: { userId: string; role: 'admin' | 'user' },
): Promise<QueueCounts> {
  return ocrJobRepository.queueCounts(
    deps.knex,
    identity.role === 'admin' ? undefined : identity.userId,
  );
}
