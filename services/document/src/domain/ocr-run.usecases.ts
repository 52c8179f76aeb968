import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createEnvelope, EVENT } from '@readur/contracts';
import { recordEvent } from '../data/event.outbox';
import { ocrJobRepository } from '../data/ocr-job.repository';
import type { DocumentRecord } from './document.types';

/**
 * Starts a new OCR run of `document`: a fresh job id replaces the old run (whose late events
 * are then ignored), the document is `pending` again and `ocr.requested` is written to the
 * outbox in the caller's transaction. Resolves with the new job id.
 */
export async function requestOcrRun(
  trx: Knex.Transaction,
  document: DocumentRecord,
  ocrLanguages: string | null,
  correlationId?: string,
): Promise<string> {
  const jobId = randomUUID();
  await ocrJobRepository.replace(trx, document.id, jobId, 'pending');
  await ocrJobRepository.requeue(trx, document.id, ocrLanguages);

  await recordEvent(
    trx,
    createEnvelope(
      EVENT.ocrRequested,
      {
        document_id: document.id,
        user_id: document.user_id,
        title: document.title,
        filename: document.filename,
        mime_type: document.mime_type,
        ...(ocrLanguages ? { ocr_languages: ocrLanguages } : {}),
        job_id: jobId,
        requested_at: new Date().toISOString(),
      },
      correlationId ? { correlationId } : {},
    ),
  );
  return jobId;
}
