import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Response } from 'express';
import type { DocumentFile } from '../domain/document.usecases';

/**
 * Streams stored bytes with their sniffed type and exact length. The disposition carries an
 * ASCII fallback plus RFC 5987 `filename*`, so any original name survives.
 */
export async function sendDocumentFile(res: Response, file: DocumentFile): Promise<void> {
  const { document, stream } = file;
  res.status(200);
  res.setHeader('Content-Type', document.mime_type);
  res.setHeader('Content-Length', String(document.file_size));
  res.setHeader(
    'Content-Disposition',
    contentDisposition(document.original_filename, { fallback: document.filename }),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-store');

  try {
    await pipeline(stream, res);
  } catch (error) {
    // Headers are gone; the only honest signal left is a cut connection.
    stream.destroy();
    res.destroy(error instanceof Error ? error : undefined);
  }
}
