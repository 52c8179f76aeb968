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

/** The reader of a source's type. */
export function createReader(spec: ReaderSpec, stabilityMs: number): SourceReader {
  switch (spec.source_type) {
    case 'local_folder':
      return new LocalFolderReader(
        SOURCE_CONFIG_SCHEMAS.local_folder.parse(spec.config),
        stabilityMs,
      );
    case 'webdav':
      return new WebdavReader(SOURCE_CONFIG_SCHEMAS.webdav.parse(spec.config), spec.secret);
    case 's3':
      return new S3Reader(SOURCE_CONFIG_SCHEMAS.s3.parse(spec.config), spec.secret);
  }
}
