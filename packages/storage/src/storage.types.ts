import type { Readable } from 'node:stream';

/** A byte range of a stored object, both ends inclusive (as in an HTTP `Range` header). */
export interface ByteRange {
  start: number;
  end?: number;
}

/** What is known about a stored object without reading it. */
export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

/**
 * One interface for stored files, addressed by keys (`user/document/name.pdf`), never by
 * local paths, so a local directory and an object store (S3) are interchangeable.
 */
export interface Storage {
  /** Writes `source` under `key`; the object appears whole or not at all. */
  put(key: string, source: Readable): Promise<{ size: number }>;
  /** Streams the object, or part of it; rejects with `STORAGE_NOT_FOUND` when absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size and modification time, or `undefined` when absent. */
  stat(key: string): Promise<StoredObject | undefined>;
  /** True when an object exists under `key`. */
  exists(key: string): Promise<boolean>;
  /** Renames an object; replaces `to` when it exists. */
  move(from: string, to: string): Promise<void>;
  /** Removes an object; removing an absent object is not an error. */
  delete(key: string): Promise<void>;
  /** Readiness: rejects when the storage cannot be written. */
  check(): Promise<void>;
}
