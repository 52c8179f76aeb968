/** Where a document is in the OCR round trip. */
export type OcrStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** Every OCR status, for validation. */
export const OCR_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;

/** A document as stored. */
export interface DocumentRecord {
  id: string;
  user_id: string;
  title: string;
  filename: string;
  original_filename: string;
  storage_key: string;
  mime_type: string;
  file_size: number;
  file_hash: string;
  labels: string[];
  metadata: Record<string, unknown>;
  ocr_status: OcrStatus;
  ocr_confidence: number | null;
  ocr_word_count: number | null;
  page_count: number | null;
  ocr_processing_time_ms: number | null;
  ocr_language: string | null;
  ocr_failure_reason: string | null;
  ocr_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The text of one OCR'd page. */
export interface DocumentPage {
  page: number;
  text: string;
  confidence: number;
  method: string;
}

/** A page of a listing. */
export interface Paged<T> {
  items: T[];
  total: number;
}
