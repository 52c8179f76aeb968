import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '@readur/errors';
import { fileTooLarge } from '../domain/document.errors';
import type { StagedFile } from '../domain/upload.stager';

/** A multipart upload whose `file` part is already staged in storage. */
export interface ParsedUpload {
  staged: StagedFile;
  filename: string | undefined;
  fields: Record<string, string>;
}

/** How to read an upload. */
export interface UploadOptions {
  maxFileBytes: number;
  /** Streams the file part somewhere; the bytes are never buffered here. */
  stage(stream: Readable): Promise<StagedFile>;
  /** Removes a staged file that will not become a document. */
  discard(key: string): Promise<void>;
}

const FIELD_LIMITS = { fields: 20, fieldSize: 1024 * 1024, parts: 30 };

const invalidMultipart = (cause?: unknown) =>
  new AppError('INVALID_UPLOAD', 'Expected a multipart/form-data body', 400, { cause });

const fileRequired = () =>
  new AppError('FILE_REQUIRED', 'The multipart field "file" is required', 400);

const oneFileOnly = () =>
  new AppError('TOO_MANY_FILES', 'Send one file per upload; this body has more file parts', 400);

/**
 * Streams a multipart body: the one `file` part goes straight to `stage` while the other
 * fields are collected (a second file part is 400 `TOO_MANY_FILES`). Resolves once the whole body was read; on any failure the staged
 * file is discarded. A file over the limit is cut by busboy and answered with 413.
 */
export function readUpload(req: Request, options: UploadOptions): Promise<ParsedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { ...FIELD_LIMITS, files: 1, fileSize: options.maxFileBytes },
      });
    } catch (error) {
      reject(invalidMultipart(error));
      return;
    }

    const fields: Record<string, string> = {};
    let staging: Promise<StagedFile> | undefined;
    let fileStream: Readable | undefined;
    let filename: string | undefined;
    let truncated = false;
    let moreFiles = false;
    let settled = false;

    const discardStaged = async () => {
      await staging?.then((staged) => options.discard(staged.key)).catch(() => undefined);
    };
    // The answer waits for the staged bytes to be gone, so a refused upload leaves nothing.
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume();
      fileStream?.destroy();
      const failure = error instanceof Error ? error : new Error(String(error));
      void discardStaged().then(() => reject(failure));
    };

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || staging) {
        stream.resume();
        return;
      }
      fileStream = stream;
      filename = info.filename;
      stream.on('limit', () => {
        truncated = true;
      });
      staging = options.stage(stream);
      staging.catch(() => undefined);
    });
    // A second file part: refused rather than dropped without a word.
    parser.on('filesLimit', () => {
      moreFiles = true;
    });
    parser.on('error', (error) => fail(invalidMultipart(error)));
    parser.on('close', () => {
      if (settled) return;
      if (!staging) {
        fail(fileRequired());
        return;
      }
      if (moreFiles) {
        fail(oneFileOnly());
        return;
      }
      staging.then(
        (staged) => {
          if (truncated) {
            fail(fileTooLarge(options.maxFileBytes));
            return;
          }
          settled = true;
          resolve({ staged, filename, fields });
        },
        (error: unknown) => fail(error),
      );
    });
    req.on('close', () => {
      if (!req.complete) fail(new AppError('UPLOAD_ABORTED', 'The upload was interrupted', 400));
    });

    req.pipe(parser);
  });
}
