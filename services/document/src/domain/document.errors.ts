import { AppError, notFound } from '@readur/errors';

/** 404 for a missing document, another user's document or a malformed id alike. */
export const documentNotFound = () => notFound('document');

/** 409 when the same user uploads the same bytes again. */
export const duplicateDocument = (existingId: string) =>
  new AppError('DUPLICATE_DOCUMENT', 'This file has already been uploaded', 409, {
    details: { existing_document_id: existingId },
  });

/** 400 for an upload of zero bytes. */
export const emptyFile = () => new AppError('EMPTY_FILE', 'The uploaded file is empty', 400);

/** 413 for an upload over `MAX_UPLOAD_SIZE_MB`. */
export const fileTooLarge = (maxBytes: number) =>
  new AppError('FILE_TOO_LARGE', `The file is larger than ${maxBytes} bytes`, 413, {
    details: { max_bytes: maxBytes },
  });
