import type { EventData } from '@readur/contracts';
import { documentRepository, type Db } from '../data/document.repository';
import type { DocumentPage } from './document.types';

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
  const target = await findTarget(db, data.document_id, data.user_id);
  if (target.skip) return target.skip;

  const changed = await documentRepository.markProcessing(db, data.document_id);
  return changed ? { applied: true } : skipped(`status is already ${target.document.ocr_status}`);
}

/** `ocr.completed`: stores pages, joined text, confidence and counts; status completed. */
export async function applyOcrCompleted(
  db: Db,
  data: EventData<'ocr.completed'>,
): Promise<OcrApplyResult> {
  const target = await findTarget(db, data.document_id, data.user_id);
  if (target.skip) return target.skip;

  const pages: DocumentPage[] = [...data.page_results]
    .sort((a, b) => a.page - b.page)
    .map((page) => ({ ...page, text: withoutNul(page.text) }));
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
  return { applied: true };
}

/** `ocr.failed`: status failed with the reason code; the file stays downloadable. */
export async function applyOcrFailed(
  db: Db,
  data: EventData<'ocr.failed'>,
): Promise<OcrApplyResult> {
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
