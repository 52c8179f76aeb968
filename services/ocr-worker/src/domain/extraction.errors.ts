import { AppError } from '@readur/errors';

/** Why a document could not be turned into text; stable values, stored with the document. */
export type OcrFailureReason =
  'encrypted' | 'corrupt' | 'unsupported_format' | 'unsupported_language' | 'too_large' | 'timeout';

/**
 * An expected extraction failure: the input is at fault, not the worker, so the caller marks
 * the document as failed instead of treating it as a bug. The code reads `EXTRACTION_<REASON>`
 * (`EXTRACTION_ENCRYPTED`); 422 because the request was understood but the bytes are unusable.
 */
export class ExtractionError extends AppError {
  constructor(
    readonly reason: OcrFailureReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`EXTRACTION_${reason.toUpperCase()}`, message, 422, options);
    this.name = 'ExtractionError';
  }
}

/** True when `error` is an expected extraction failure (as opposed to a bug). */
export function isExtractionError(error: unknown): error is ExtractionError {
  return error instanceof ExtractionError;
}

/** A short description of an underlying error, safe to put into an ExtractionError message. */
export function describeCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}...` : message;
}
