import { LRUCache } from 'lru-cache';

import type { DocumentClient } from './document.client';

/** What identifies one fetch: the run (a file never changes within one) and the document. */
export interface FileKey {
  documentId: string;
  jobId: string;
  correlationId: string;
}

const MIB = 1024 * 1024;

/**
 * The files of the documents this process is working on, so the page jobs of one document
 * fetch its bytes once. Bounded by bytes (`OCR_FILE_CACHE_MB`, least recently used go first);
 * concurrent page jobs of one document share one request. A file larger than the whole
 * cache is fetched for each page.
 */
export class DocumentFileCache {
  private readonly cache: LRUCache<string, Buffer, FileKey> | undefined;

  constructor(
    private readonly documents: DocumentClient,
    maxMegabytes: number,
  ) {
    if (maxMegabytes <= 0) return;

    this.cache = new LRUCache<string, Buffer, FileKey>({
      maxSize: maxMegabytes * MIB,
      sizeCalculation: (bytes) => Math.max(bytes.length, 1),
      ttl: 10 * 60_000,
      fetchMethod: (_key, _stale, { context }) =>
        this.documents.fetchFile(context.documentId, context.correlationId),
    });
  }

  /** The document's bytes, or `undefined` when the document no longer exists. */
  async get(key: FileKey): Promise<Buffer | undefined> {
    if (!this.cache) return this.documents.fetchFile(key.documentId, key.correlationId);

    return this.cache.fetch(`${key.jobId}/${key.documentId}`, { context: key });
  }
}
