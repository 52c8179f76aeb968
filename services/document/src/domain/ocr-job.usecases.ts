import type { Knex } from 'knex';
import { createEnvelope, deriveEventId, EVENT, type Envelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { Storage } from '@readur/storage';
import { documentRepository, type Db } from '../data/document.repository';
import { recordEvent } from '../data/event.outbox';
import { ocrJobRepository, type OcrJobPageRow, type OcrJobRow } from '../data/ocr-job.repository';
import { buildArchive } from './archive.builder';
import type { DocumentRecord } from './document.types';
import type { OcrApplyResult } from './ocr.usecases';

/** What applying OCR events needs besides the transaction. */
export interface OcrApplyDeps {
  storage: Storage;
  logger: Logger;
}

const skipped = (reason: string): OcrApplyResult => ({ applied: false, reason });
const round = (value: number) => Math.round(value * 100) / 100;
/** PostgreSQL text cannot hold U+0000; OCR output occasionally contains it. */
const withoutNul = (text: string): string => text.replaceAll('\u0000', '');

/**
 * Page text as stored: without NUL and in NFC, so the text users get back has `März` composed
 * however the OCR engine wrote it (the index folds to NFKC either way).
 */
export const storedText = (text: string): string => withoutNul(text).normalize('NFC');

/**
 * The id of an event this service publishes after assembling a run: derived from the run, so
 * the same run assembled twice (a redelivery racing a commit) publishes one event.
 */
export function assemblyEventId(jobId: string, event: 'ocr.completed' | 'ocr.failed'): string {
  return deriveEventId(`${jobId}/assembly`, event);
}

interface JobRef {
  document_id: string;
  user_id: string;
  job_id?: string | undefined;
  page_count?: number | undefined;
}

/**
 * The locked document and its current run for an event of run `job_id`. The first event of a
 * run that has no row yet starts tracking it; an event of another (older) run, or one arriving
 * after its run finished, is skipped.
 */
export async function lockRun(
  trx: Db,
  ref: JobRef,
): Promise<{ document: DocumentRecord; job?: OcrJobRow } | { skip: OcrApplyResult }> {
  const document = await documentRepository.findById(trx, ref.document_id, true);
  if (!document) return { skip: skipped('document no longer exists') };
  if (document.user_id !== ref.user_id)
    return { skip: skipped('event user does not own document') };
  if (!ref.job_id) return { document };

  const job = await ocrJobRepository.findForUpdate(trx, ref.document_id);
  if (!job) {
    await ocrJobRepository.replace(trx, ref.document_id, ref.job_id, 'processing', ref.page_count);
    return { document, job: (await ocrJobRepository.findForUpdate(trx, ref.document_id))! };
  }
  if (job.job_id !== ref.job_id) return { skip: skipped('event of an earlier OCR run') };
  if (job.status === 'completed' || job.status === 'failed') {
    return { skip: skipped(`OCR run already ${job.status}`) };
  }
  if (ref.page_count && job.page_count === null) {
    await ocrJobRepository.update(trx, ref.document_id, { pageCount: ref.page_count });
    job.page_count = ref.page_count;
  }
  return { document, job };
}

/** Builds and records the archive of a finished run; never fails the run. */
export async function storeArchive(
  trx: Db,
  deps: OcrApplyDeps,
  document: DocumentRecord,
  jobId: string,
  pageCount: number,
): Promise<void> {
  const pages = await ocrJobRepository.archivePages(trx, document.id, jobId);
  const key = await buildArchive(
    deps.storage,
    {
      userId: document.user_id,
      documentId: document.id,
      originalKey: document.storage_key,
      mimeType: document.mime_type,
      pageCount,
      pages,
    },
    deps.logger,
  );
  if (key) await ocrJobRepository.setArchiveKey(trx, document.id, key);

  await ocrJobRepository.deleteArchivePages(trx, document.id);
  for (const part of pages.values()) {
    await deps.storage.delete(part).catch(() => undefined);
  }
}

/**
 * `ocr.page.completed`: records the page once (unique per document and page). The page that
 * completes the set assembles the document in page order, stores it like a whole-document
 * result, builds the archive and publishes `ocr.completed` through the outbox.
 */
export async function applyOcrPageCompleted(
  trx: Knex.Transaction,
  envelope: Envelope<'ocr.page.completed'>,
  deps: OcrApplyDeps,
): Promise<OcrApplyResult> {
  const { data } = envelope;
  const run = await lockRun(trx, data);
  if ('skip' in run) return run.skip;

  await documentRepository.markProcessing(trx, data.document_id);
  const inserted = await ocrJobRepository.insertPage(trx, data.document_id, data.job_id, {
    page: data.page,
    text: storedText(data.text),
    confidence: data.confidence,
    method: data.method,
    word_count: data.word_count,
    processing_time_ms: data.processing_time_ms,
  });
  if (!inserted) return skipped(`page ${data.page} already recorded`);

  const done = await ocrJobRepository.countPages(trx, data.document_id);
  if (done < data.page_count) return { applied: true };

  await assemble(trx, deps, envelope, run.document, run.job?.started_at);
  return { applied: true };
}

/**
 * The document's mean word confidence: each page's mean weighs by its word count, so pages
 * without words (blank) do not count and a short page cannot drag down a long one; 0 without
 * words. The ocr-worker scores a document extracted in one piece the same way.
 */
function meanWordConfidence(pages: OcrJobPageRow[], wordCount: number): number {
  if (wordCount === 0) return 0;
  return pages.reduce((sum, page) => sum + page.confidence * page.word_count, 0) / wordCount;
}

async function assemble(
  trx: Knex.Transaction,
  deps: OcrApplyDeps,
  last: Envelope<'ocr.page.completed'>,
  document: DocumentRecord,
  startedAt: Date | undefined,
): Promise<void> {
  const { job_id, page_count, language } = last.data;
  const pages = await ocrJobRepository.pages(trx, document.id);
  const wordCount = pages.reduce((sum, page) => sum + page.word_count, 0);
  const confidence = meanWordConfidence(pages, wordCount);
  const elapsed = startedAt ? Date.now() - startedAt.getTime() : 0;

  const pageResults = pages.map(({ page, text, confidence: pageConfidence, method }) => ({
    page,
    text,
    confidence: round(pageConfidence),
    method,
  }));
  await documentRepository.saveOcrResult(
    trx,
    document.id,
    {
      text: pages.map((page) => page.text).join('\n\n'),
      confidence: round(confidence),
      pageCount: page_count,
      wordCount,
      processingTimeMs: Math.max(0, Math.round(elapsed)),
      language,
    },
    pageResults,
  );
  await ocrJobRepository.update(trx, document.id, { status: 'completed' });
  await storeArchive(trx, deps, document, job_id, page_count);

  await recordEvent(
    trx,
    createEnvelope(
      EVENT.ocrCompleted,
      {
        document_id: document.id,
        user_id: document.user_id,
        title: document.title,
        pages: page_count,
        confidence: round(confidence),
        word_count: wordCount,
        processing_time_ms: Math.max(0, Math.round(elapsed)),
        language,
        page_results: pageResults,
        job_id,
      },
      { id: assemblyEventId(job_id, EVENT.ocrCompleted), correlationId: last.correlation_id },
    ),
  );
}

/**
 * `ocr.page.failed`: a page failed for good, so the document fails with the page's reason and
 * `ocr.failed` is published through the outbox; pages still arriving are skipped.
 */
export async function applyOcrPageFailed(
  trx: Knex.Transaction,
  envelope: Envelope<'ocr.page.failed'>,
): Promise<OcrApplyResult> {
  const { data } = envelope;
  const run = await lockRun(trx, data);
  if ('skip' in run) return run.skip;

  const error = withoutNul(`page ${data.page}: ${data.error}`).slice(0, 2000);
  await documentRepository.markFailed(trx, data.document_id, data.reason, error);
  await ocrJobRepository.update(trx, data.document_id, { status: 'failed' });
  await recordEvent(
    trx,
    createEnvelope(
      EVENT.ocrFailed,
      {
        document_id: data.document_id,
        user_id: data.user_id,
        title: run.document.title,
        reason: data.reason,
        error,
        attempts: data.attempts,
        job_id: data.job_id,
      },
      { id: assemblyEventId(data.job_id, EVENT.ocrFailed), correlationId: envelope.correlation_id },
    ),
  );
  return { applied: true };
}
