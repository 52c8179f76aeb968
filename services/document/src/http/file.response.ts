import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Request, Response } from 'express';
import parseRange from 'range-parser';
import { AppError } from '@readur/errors';
import type { ByteRange } from '@readur/storage';
import { safeFilename } from '../domain/document.filename';
import type { DocumentFile } from '../domain/document.usecases';

/**
 * `attachment` with a plain ASCII `filename` (the fallback) and, when the name is anything
 * else, RFC 5987 `filename*`, so a name in any language survives and no raw non-ASCII byte
 * reaches the header.
 */
export function attachmentDisposition(name: string, fallback = safeFilename(name)): string {
  return contentDisposition(name, { fallback });
}

/**
 * Streams stored bytes (all of them, or the one range asked for: 206) with their sniffed type
 * and exact length. The disposition carries an
 * ASCII fallback plus RFC 5987 `filename*`, so any original name survives.
 */
export async function sendDocumentFile(res: Response, file: DocumentFile): Promise<void> {
  const { document, stream, range } = file;
  res.setHeader('Accept-Ranges', 'bytes');
  if (range) {
    const end = range.end ?? document.file_size - 1;
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${end}/${document.file_size}`);
    res.setHeader('Content-Length', String(end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(document.file_size));
  }
  res.setHeader('Content-Type', document.mime_type);
  res.setHeader(
    'Content-Disposition',
    attachmentDisposition(document.original_filename, document.filename),
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

/**
 * The part of a `size`-byte file a `Range` header asks for: one range, or the whole file for
 * none, a malformed header or several ranges (sent whole rather than as multipart). A range
 * that lies past the end is 416 `RANGE_NOT_SATISFIABLE` with `Content-Range: bytes *\/size`.
 */
export function requestedRange(
  req: Request,
  res: Response,
): (size: number) => ByteRange | undefined {
  return (size) => {
    const header = req.headers.range;
    if (!header) return undefined;
    const ranges = parseRange(size, header, { combine: true });
    if (ranges === -1) {
      res.setHeader('Content-Range', `bytes */${size}`);
      throw new AppError('RANGE_NOT_SATISFIABLE', `The file has ${size} bytes`, 416);
    }
    if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
    const [only] = ranges;
    return only ? { start: only.start, end: only.end } : undefined;
  };
}
