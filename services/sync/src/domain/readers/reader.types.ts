import type { Readable } from 'node:stream';

/** One file at a source, as listed (nothing read yet). */
export interface SourceEntry {
  /** The file's identity within the source: an absolute local path, a WebDAV path, an S3 key. */
  path: string;
  size: number;
  /** mtime (ms) for folders, ETag for WebDAV and S3: a change means "read it again". */
  version: string;
  /** Still being written (changed again within the stability window): take it later. */
  unstable?: boolean;
}

/** What a reader asks the sync run while listing. */
export interface ListContext {
  /** True when the directory's ETag is unchanged, so its tree need not be listed. */
  unchangedDirectory(path: string, etag: string): Promise<boolean>;
}

/** Lists and opens the files of one source; listing is streamed, never loaded whole. */
export interface SourceReader {
  list(context: ListContext): AsyncIterable<SourceEntry>;
  open(entry: SourceEntry): Promise<Readable>;
  /** Checks that the source can be reached and listed (for `POST /api/sources/test`). */
  probe(): Promise<void>;
}

const TEMP_NAME = /^~\$|^~lock|\.(tmp|temp|part|partial|crdownload|download|swp|swx)$|~$/i;

/** True for hidden files, office lock files and partial downloads. */
export function isHiddenOrTemporary(name: string): boolean {
  return name.startsWith('.') || TEMP_NAME.test(name);
}

/** True when `name` passes the extension filter (an empty filter takes everything). */
export function hasWantedExtension(name: string, extensions: string[]): boolean {
  if (extensions.length === 0) return true;
  const dot = name.lastIndexOf('.');
  return dot > 0 && extensions.includes(name.slice(dot + 1).toLowerCase());
}

/** The last segment of a `/`-separated path. */
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
