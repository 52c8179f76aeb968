import type { Knex } from 'knex';
import { EVENT, type Envelope, type EventData } from '@readur/contracts';
import { documentRepository, type Db } from '../data/document.repository';
import { ocrJobRepository } from '../data/ocr-job.repository';
import type { DocumentPage } from './document.types';
import {
  assemblyEventId,
  lockRun,
  storeArchive,
  storedText,
  type OcrApplyDeps,
} from './ocr-job.usecases';

/** What applying an OCR event did: changed the document, or nothing and why. */
export type OcrApplyResult = { applied: true } | { applied: false; reason: string };

const skipped = (reason: string): OcrApplyResult => ({ applied: false, reason });

/** PostgreSQL text cannot hold U+0000; OCR output occasionally contains it. */
const withoutNul = (text: string): string => text.replaceAll('\u0000', '');

async function findTarget(db: Db, documentId: string, userId: string) {
  const document = await documentRepository.findById(db, documentId, true);
  if (!document) return { skip: skipped('document no longer exists') };
  if (document.user_id !== userId) return { skip: skipped('event user does not own document') };
  return { document };
}

/** `ocr.started`: pending becomes processing; a late start never rewinds a finished status. */
export async function applyOcrStarted(
  db: Db,
  data: EventData<'ocr.started'>,
): Promise<OcrApplyResult> {
  if (data.job_id) {
    const run = await lockRun(db, data);
    if ('skip' in run) return run.skip;
    if (run.job?.status === 'pending') {
      await ocrJobRepository.update(db, data.document_id, { status: 'processing' });
    }
  }
  const target = await findTarget(db, data.document_id, data.user_id);
  if (target.skip) return target.skip;

  const changed = await documentRepository.markProcessing(db, data.document_id);
  return changed ? { applied: true } : skipped(`status is already ${target.document.ocr_status}`);
}

/**
 * `ocr.completed` of a document extracted in one piece: stores pages, joined text, confidence
 * and counts (status completed), then the archive from the pages' PDFs. The `ocr.completed`
 * this service publishes itself after assembling page jobs comes back here and is skipped.
 */
export async function applyOcrCompleted(
  db: Knex.Transaction,
  envelope: Envelope<'ocr.completed'>,
  deps: OcrApplyDeps,
): Promise<OcrApplyResult> {
  const { data } = envelope;
  if (data.job_id && envelope.id === assemblyEventId(data.job_id, EVENT.ocrCompleted)) {
    return skipped('assembled by this service');
  }
  if (data.job_id) {
    const run = await lockRun(db, data);
    if ('skip' in run) return run.skip;
  }
  const target = await findTarget(db, data.document_id, data.user_id);
  if (target.skip) return target.skip;

  const pages: DocumentPage[] = [...data.page_results]
    .sort((a, b) => a.page - b.page)
    .map((page) => ({ ...page, text: storedText(page.text) }));
  const text = pages.map((page) => page.text).join('\n\n');

  await documentRepository.saveOcrResult(
    db,
    data.document_id,
    {
      text,
      confidence: data.confidence,
      pageCount: data.pages,
      wordCount: data.word_count,
      processingTimeMs: data.processing_time_ms,
      language: withoutNul(data.language),
    },
    pages,
  );
  if (data.job_id) {
    await ocrJobRepository.update(db, data.document_id, { status: 'completed' });
    await storeArchive(db, deps, target.document, data.job_id, data.pages);
  }
  return { applied: true };
}

/** `ocr.failed`: status failed with the reason code; the file stays downloadable. */
export async function applyOcrFailed(
  db: Db,
  envelope: Envelope<'ocr.failed'>,
): Promise<OcrApplyResult> {
  const { data } = envelope;
  if (data.job_id && envelope.id === assemblyEventId(data.job_id, EVENT.ocrFailed)) {
    return skipped('published by this service');
  }
  if (data.job_id) {
    const run = await lockRun(db, data);
    if ('skip' in run) return run.skip;
    await ocrJobRepository.update(db, data.document_id, { status: 'failed' });
  }
  const target = await findTarget(db, data.document_id, data.user_id);
  if (target.skip) return target.skip;

  const changed = await documentRepository.markFailed(
    db,
    data.document_id,
    data.reason,
    withoutNul(data.error).slice(0, 2000),
  );
  return changed ? { applied: true } : skipped('OCR already completed');
}
