import { SOURCE_CONFIG_SCHEMAS } from '../source.config';
import type { SourceType } from '../source.types';
import { LocalFolderReader } from './local.reader';
import type { SourceReader } from './reader.types';
import { S3Reader } from './s3.reader';
import { WebdavReader } from './webdav.reader';

/** What a reader is built from: the stored config and the decrypted secret. */
export interface ReaderSpec {
  source_type: SourceType;
  config: Record<string, unknown>;
  secret: string | undefined;
}

/** How readers behave, from the service's configuration. */
export interface ReaderOptions {
  /** `FILE_STABILITY_CHECK_MS`. */
  stabilityMs: number;
  /** `SYNC_REQUEST_TIMEOUT_MS`: an outbound call with no answer (or no data) this long fails. */
  requestTimeoutMs: number;
}

/** The reader of a source's type. */
export function createReader(spec: ReaderSpec, options: ReaderOptions): SourceReader {
  switch (spec.source_type) {
    case 'local_folder':
      return new LocalFolderReader(
        SOURCE_CONFIG_SCHEMAS.local_folder.parse(spec.config),
        options.stabilityMs,
      );
    case 'webdav':
      return new WebdavReader(
        SOURCE_CONFIG_SCHEMAS.webdav.parse(spec.config),
        spec.secret,
        options.requestTimeoutMs,
      );
    case 's3':
      return new S3Reader(
        SOURCE_CONFIG_SCHEMAS.s3.parse(spec.config),
        spec.secret,
        options.requestTimeoutMs,
      );
  }
}
