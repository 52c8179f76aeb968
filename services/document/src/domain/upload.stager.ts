import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Storage } from '@readur/storage';
import { SNIFF_BYTES } from './mime.sniffer';

/** An uploaded file parked under a temporary key until its document row exists. */
export interface StagedFile {
  key: string;
  size: number;
  sha256: string;
  /** The first bytes, for content sniffing. */
  head: Buffer;
}

/** Hashes and measures bytes on their way through, keeping the first few for sniffing. */
class Inspector extends Transform {
  readonly hash = createHash('sha256');
  private readonly chunks: Buffer[] = [];
  private headLength = 0;

  get head(): Buffer {
    return Buffer.concat(this.chunks).subarray(0, SNIFF_BYTES);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    if (this.headLength < SNIFF_BYTES) {
      this.chunks.push(chunk.subarray(0, SNIFF_BYTES - this.headLength));
      this.headLength += Math.min(chunk.length, SNIFF_BYTES - this.headLength);
    }
    done(null, chunk);
  }
}

/** The prefix of temporary keys; anything left there after a crash is garbage. */
export const STAGING_PREFIX = 'staging';

/**
 * Streams `source` into storage under a temporary key while computing its SHA-256 and size;
 * the file is never held whole in memory. A failed stream leaves nothing behind.
 */
export async function stageFile(storage: Storage, source: Readable): Promise<StagedFile> {
  const key = `${STAGING_PREFIX}/${randomUUID()}`;
  const inspector = new Inspector();
  source.on('error', (error) => inspector.destroy(error));
  // Storage starts reading only after its own set-up, so an early failure of the source (a
  // truncated multipart body) must not surface as an unhandled 'error' event that ends the
  // process. It is kept here and rethrown; storage sees the stream as errored too.
  let failure: Error | undefined;
  inspector.on('error', (error) => {
    failure = error;
  });

  const { size } = await storage.put(key, source.pipe(inspector));
  if (failure) {
    await storage.delete(key).catch(() => undefined);
    throw failure;
  }
  return { key, size, sha256: inspector.hash.digest('hex'), head: inspector.head };
}
