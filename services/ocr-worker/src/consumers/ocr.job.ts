import { EVENT, type AnyEnvelope } from '@readur/contracts';

/** One OCR run of a document, whichever event asked for it. */
export interface OcrJob {
  /** The id of the event that asked: ids of what the job publishes derive from it. */
  causeId: string;
  jobId: string;
  correlationId: string;
  documentId: string;
  userId: string;
  title: string;
  filename: string;
  mimeType: string;
  /** This document's languages, or `undefined` for the worker's default. */
  languages: string | undefined;
}

/**
 * The job of a `document.created` (its id is the job id) or of an `ocr.requested` (a retry,
 * which names its job); `undefined` for any other event.
 */
export function ocrJobOf(envelope: AnyEnvelope): OcrJob | undefined {
  if (envelope.event !== EVENT.documentCreated && envelope.event !== EVENT.ocrRequested) {
    return undefined;
  }

  const { data } = envelope;
  return {
    causeId: envelope.id,
    jobId: envelope.event === EVENT.ocrRequested ? envelope.data.job_id : envelope.id,
    correlationId: envelope.correlation_id,
    documentId: data.document_id,
    userId: data.user_id,
    title: data.title,
    filename: data.filename,
    mimeType: data.mime_type,
    languages: data.ocr_languages,
  };
}
