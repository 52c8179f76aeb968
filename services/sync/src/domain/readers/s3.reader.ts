import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, type BucketItem } from 'minio';
import type { S3SourceConfig } from '../source.config';
import {
  baseName,
  hasWantedExtension,
  isHiddenOrTemporary,
  type SourceEntry,
  type SourceReader,
} from './reader.types';
import { timedTransport } from './request.timeout';

/**
 * Objects of a bucket below a prefix; listed page by page (ListObjectsV2), ETag as version. A
 * request without an answer, or a body that stops arriving, for `timeoutMs` fails.
 */
export class S3Reader implements SourceReader {
  private readonly client: Client;

  constructor(
    private readonly config: S3SourceConfig,
    secretAccessKey: string | undefined,
    timeoutMs: number,
  ) {
    const url = new URL(config.endpoint_url);
    const useSSL = url.protocol === 'https:';
    this.client = new Client({
      transport: timedTransport(useSSL ? https : http, timeoutMs, `S3 server ${url.host}`),
      endPoint: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      useSSL,
      accessKey: config.access_key_id,
      secretKey: secretAccessKey ?? '',
      region: config.region,
      pathStyle: !url.hostname.endsWith('amazonaws.com'),
      ...(useSSL && !config.verify_ssl
        ? { transportAgent: new https.Agent({ keepAlive: true, rejectUnauthorized: false }) }
        : {}),
    });
  }

  async *list(): AsyncIterable<SourceEntry> {
    const stream = this.client.listObjectsV2(this.config.bucket, this.config.prefix, true);
    for await (const item of stream as AsyncIterable<BucketItem>) {
      const key = item.name;
      if (!key || key.endsWith('/')) continue;
      const name = baseName(key);
      if (isHiddenOrTemporary(name) || !hasWantedExtension(name, this.config.extensions)) continue;
      yield { path: key, size: item.size, version: (item.etag ?? '').replace(/"/g, '') };
    }
  }

  open(entry: SourceEntry): Promise<Readable> {
    return this.client.getObject(this.config.bucket, entry.path);
  }

  async probe(): Promise<void> {
    if (!(await this.client.bucketExists(this.config.bucket))) {
      throw new Error(`bucket "${this.config.bucket}" does not exist`);
    }
  }
}
