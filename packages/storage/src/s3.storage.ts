import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, CopyConditions } from 'minio';
import { StorageError } from './storage.error';
import { validateKey } from './storage.key';
import type { ByteRange, Storage, StoredObject } from './storage.types';

/** How to reach an S3-compatible bucket (AWS, MinIO, Backblaze B2, DigitalOcean Spaces...). */
export interface S3StorageOptions {
  /** `https://minio.internal:9000`; a URL without a scheme takes `useSsl`. */
  endpointUrl: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** TLS when the endpoint URL names no scheme. */
  useSsl: boolean;
  /** False accepts self-signed certificates (an internal MinIO). */
  verifySsl: boolean;
  /** Multipart part size; uploads of unknown length larger than this go in parts. */
  partSizeBytes?: number;
  /** Virtual-host addressing only when asked for; self-hosted servers need path style. */
  pathStyle?: boolean;
}

/** The smallest part S3 accepts (except the last one). */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;

/** 16 MiB parts: 10,000 parts reach 160 GiB while a concurrent upload holds one part. */
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);
const DENIED_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'Forbidden',
]);

const codeOf = (error: unknown): string | undefined =>
  (error as { code?: string } | undefined)?.code;

/** Cuts a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* partsOf(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    pending.push(bytes);
    length += bytes.length;
    while (length >= size) {
      const joined = Buffer.concat(pending, length);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}

interface Endpoint {
  endPoint: string;
  port: number | undefined;
  useSSL: boolean;
}

/** Splits `S3_ENDPOINT_URL` into the parts the minio client wants. */
export function parseEndpoint(url: string, useSsl: boolean): Endpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
    ? url
    : `${useSsl ? 'https' : 'http'}://${url}`;
  const parsed = new URL(withScheme);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StorageError('STORAGE_UNAVAILABLE', `S3 endpoint must be http(s): ${url}`);
  }
  return {
    endPoint: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : undefined,
    useSSL: parsed.protocol === 'https:',
  };
}

/**
 * Objects in one S3 bucket, through the `minio` client. Uploads stream (multipart above the
 * part size, so an object appears whole or not at all), downloads stream with ranges.
 */
export class S3Storage implements Storage {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;
  private readonly partSize: number;

  constructor(options: S3StorageOptions) {
    const endpoint = parseEndpoint(options.endpointUrl, options.useSsl);
    this.bucket = options.bucket;
    this.region = options.region;
    this.partSize = Math.max(options.partSizeBytes ?? DEFAULT_PART_SIZE, S3_MIN_PART_SIZE);
    this.client = new Client({
      ...endpoint,
      accessKey: options.accessKeyId,
      secretKey: options.secretAccessKey,
      region: options.region,
      pathStyle: options.pathStyle ?? !endpoint.endPoint.endsWith('amazonaws.com'),
      ...(endpoint.useSSL && !options.verifySsl
        ? { transportAgent: new https.Agent({ keepAlive: true, rejectUnauthorized: false }) }
        : {}),
    });
  }

  /**
   * Streams `source` up: one PUT when it fits in a part, otherwise a multipart upload with one
   * part in memory at a time, aborted on any failure so no parts are left behind. (minio's own
   * stream upload first lists incomplete uploads to resume them, which several S3-compatible
   * servers refuse, and leaves failed uploads behind to be resumed.)
   */
  async put(key: string, source: Readable): Promise<{ size: number }> {
    validateKey(key);
    const parts = partsOf(source, this.partSize);
    let uploadId: string | undefined;

    try {
      const first = await parts.next();
      const firstPart = first.done ? Buffer.alloc(0) : first.value;
      const second = first.done ? first : await parts.next();
      if (second.done) {
        await this.client.putObject(this.bucket, key, firstPart, firstPart.length);
        return { size: firstPart.length };
      }

      uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, {});
      const etags = [await this.uploadPart(key, uploadId, 1, firstPart)];
      let size = firstPart.length;
      for (let part: IteratorResult<Buffer> = second; !part.done; part = await parts.next()) {
        etags.push(await this.uploadPart(key, uploadId, etags.length + 1, part.value));
        size += part.value.length;
      }
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
      return { size };
    } catch (error) {
      source.destroy();
      if (uploadId) {
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      throw this.translate(error, key);
    }
  }

  private async uploadPart(key: string, uploadId: string, part: number, bytes: Buffer) {
    const { etag } = await this.client.uploadPart(
      {
        bucketName: this.bucket,
        objectName: key,
        uploadID: uploadId,
        partNumber: part,
        headers: {},
      },
      bytes,
    );
    return { part, etag };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    validateKey(key);
    try {
      if (!range) return await this.client.getObject(this.bucket, key);

      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      return await this.client.getPartialObject(this.bucket, key, range.start, length);
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    validateKey(key);
    try {
      const info = await this.client.statObject(this.bucket, key);
      return { key, size: info.size, modifiedAt: info.lastModified };
    } catch (error) {
      if (NOT_FOUND_CODES.has(codeOf(error) ?? '')) return undefined;
      throw this.translate(error, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  /** Server-side copy, then delete: the bytes never travel through this process. */
  async move(from: string, to: string): Promise<void> {
    validateKey(from);
    validateKey(to);
    if (from === to) return;

    // TODO(#8): a single CopyObject is limited to 5 GiB; larger objects need UploadPartCopy.
    try {
      await this.client.copyObject(
        this.bucket,
        to,
        `/${this.bucket}/${from}`,
        new CopyConditions(),
      );
    } catch (error) {
      throw this.translate(error, from);
    }
    await this.client.removeObject(this.bucket, from);
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      if (!NOT_FOUND_CODES.has(codeOf(error) ?? '')) throw this.translate(error, key);
    }
  }

  /** Readiness: the bucket answers to these credentials. */
  async check(): Promise<void> {
    const exists = await this.bucketExists();
    if (!exists) {
      throw new StorageError('STORAGE_UNAVAILABLE', `S3 bucket "${this.bucket}" does not exist`);
    }
  }

  /**
   * Start-up: creates the bucket when it is missing. When the credentials may not create it,
   * the error names the bucket and the missing permission.
   */
  async ensureBucket(): Promise<void> {
    if (await this.bucketExists()) return;

    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      if (codeOf(error) === 'BucketAlreadyOwnedByYou') return;
      throw new StorageError(
        'STORAGE_UNAVAILABLE',
        `S3 bucket "${this.bucket}" does not exist and could not be created ` +
          `(s3:CreateBucket: ${codeOf(error) ?? describe(error)}); create it or grant the permission`,
        { cause: error },
      );
    }
  }

  private async bucketExists(): Promise<boolean> {
    try {
      return await this.client.bucketExists(this.bucket);
    } catch (error) {
      const code = codeOf(error);
      const why = code && DENIED_CODES.has(code) ? `access denied (${code})` : describe(error);
      throw new StorageError(
        'STORAGE_UNAVAILABLE',
        `S3 bucket "${this.bucket}" cannot be reached: ${why}; the credentials need s3:ListBucket on it`,
        { cause: error },
      );
    }
  }

  private translate(error: unknown, key: string): unknown {
    if (NOT_FOUND_CODES.has(codeOf(error) ?? '')) {
      return new StorageError('STORAGE_NOT_FOUND', `no stored object: ${key}`, { cause: error });
    }
    return error;
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
