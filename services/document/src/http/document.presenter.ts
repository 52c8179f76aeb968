import type { DocumentRecord } from '../domain/document.types';

/** The public JSON of a document; internal columns (user, storage key, errors) stay out. */
export function presentDocument(document: DocumentRecord) {
  return {
    id: document.id,
    title: document.title,
    filename: document.filename,
    original_filename: document.original_filename,
    mime_type: document.mime_type,
    file_size: document.file_size,
    file_hash: document.file_hash,
    labels: document.labels,
    metadata: document.metadata,
    ocr_status: document.ocr_status,
    ocr_confidence: document.ocr_confidence,
    ocr_word_count: document.ocr_word_count,
    page_count: document.page_count,
    ocr_failure_reason: document.ocr_failure_reason,
    created_at: document.created_at.toISOString(),
    updated_at: document.updated_at.toISOString(),
  };
}

/** The public JSON of a document. */
export type DocumentJson = ReturnType<typeof presentDocument>;
