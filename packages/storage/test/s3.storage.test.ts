import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import {
  createStorage,
  isStorageNotFound,
  prepareStorage,
  S3_MIN_PART_SIZE,
  S3Storage,
  type StorageConfig,
} from '@readur/storage';
import { uniqueName } from '@readur/testkit';
import {
  rawS3Client,
  removeBucket,
  s3TestServer,
  startRecordingFront,
  startSelfSignedFront,
} from './support/s3.server';

const bucketName = () => uniqueName('readur-s3').replace(/_/g, '-').slice(0, 60);

const s3Config = (bucket: string, overrides: Partial<StorageConfig> = {}): StorageConfig => ({
  STORAGE_PATH: '/nonexistent',
  S3_ENABLED: true,
  S3_ENDPOINT_URL: s3TestServer.endpointUrl,
  S3_BUCKET_NAME: bucket,
  S3_ACCESS_KEY_ID: s3TestServer.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3TestServer.secretAccessKey,
  S3_REGION: s3TestServer.region,
  S3_USE_SSL: false,
  S3_VERIFY_SSL: true,
  ...overrides,
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Emits `total` bytes in 64 KiB chunks without ever holding them all. */
const chunked = (bytes: Buffer) =>
  Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 65536) {
        yield bytes.subarray(offset, offset + 65536);
      }
    })(),
  );

describe('S3Storage against the local S3-compatible server', () => {
  const raw = rawS3Client();
  const bucket = bucketName();
  let storage: S3Storage;

  beforeAll(async () => {
    storage = createStorage(s3Config(bucket), { partSizeBytes: S3_MIN_PART_SIZE }) as S3Storage;
    await prepareStorage(storage);
  });

  afterAll(async () => {
    await removeBucket(raw, bucket);
  });

  it('when the bucket is missing at start-up, then prepareStorage creates it', async () => {
    expect(await raw.bucketExists(bucket)).toBe(true);
  });

  it('when a stream is put, then get returns the same bytes and stat the size', async () => {
    const { size } = await storage.put('u1/d1/report.pdf', Readable.from([Buffer.from('hello')]));

    expect(size).toBe(5);
    expect(await text(await storage.get('u1/d1/report.pdf'))).toBe('hello');
    expect((await storage.stat('u1/d1/report.pdf'))?.size).toBe(5);
    expect(await storage.exists('u1/d1/report.pdf')).toBe(true);
  });

  it('when an object is larger than the part size, then it goes up in parts and reads back whole', async () => {
    const front = await startRecordingFront();
    const viaFront = createStorage(s3Config(bucket, { S3_ENDPOINT_URL: front.url }), {
      partSizeBytes: S3_MIN_PART_SIZE,
    });
    const bytes = randomBytes(2 * S3_MIN_PART_SIZE + 123_457);

    try {
      const { size } = await viaFront.put('big/scan.tiff', chunked(bytes));

      expect(size).toBe(bytes.length);
      expect(front.requests.filter((line) => /^PUT .*partNumber=\d/.test(line))).toHaveLength(3);
      expect(front.requests.some((line) => /^POST .*uploadId=/.test(line))).toBe(true);
      expect(sha256(await buffer(await storage.get('big/scan.tiff')))).toBe(sha256(bytes));
    } finally {
      await front.close();
    }
  });

  it('when a range is asked for, then only those bytes are streamed', async () => {
    await storage.put('a.txt', Readable.from(['0123456789']));

    expect(await text(await storage.get('a.txt', { start: 2, end: 4 }))).toBe('234');
    expect(await text(await storage.get('a.txt', { start: 7 }))).toBe('789');
  });

  it('when the source fails during a multipart upload, then the upload is aborted and no object appears', async () => {
    const front = await startRecordingFront();
    const viaFront = createStorage(s3Config(bucket, { S3_ENDPOINT_URL: front.url }), {
      partSizeBytes: S3_MIN_PART_SIZE,
    });
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 2 * S3_MIN_PART_SIZE + 65536) {
          this.destroy(new Error('connection reset'));
          return;
        }
        sent += 65536;
        this.push(randomBytes(65536));
      },
    });

    try {
      await expect(viaFront.put('u1/broken.bin', failing)).rejects.toThrow('connection reset');

      expect(front.requests.some((line) => /^DELETE .*uploadId=/.test(line))).toBe(true);
      expect(await storage.exists('u1/broken.bin')).toBe(false);
    } finally {
      await front.close();
    }
  });

  it('when an object is moved, then it exists only under the new key with its names intact', async () => {
    await storage.put('staging/x', Readable.from(['moved bytes']));

    await storage.move('staging/x', 'u1/d2/Rechnung März 2024 (1).pdf');

    expect(await storage.exists('staging/x')).toBe(false);
    expect(await text(await storage.get('u1/d2/Rechnung März 2024 (1).pdf'))).toBe('moved bytes');
  });

  it('when an absent object is read, then STORAGE_NOT_FOUND; deleting it is no error', async () => {
    const error: unknown = await storage.get('nope/nothing').catch((caught: unknown) => caught);

    expect(isStorageNotFound(error)).toBe(true);
    expect(await storage.stat('nope/nothing')).toBeUndefined();
    await expect(storage.delete('nope/nothing')).resolves.toBeUndefined();
  });

  it('when an object is deleted, then it is gone', async () => {
    await storage.put('gone.txt', Readable.from(['x']));

    await storage.delete('gone.txt');

    expect(await storage.exists('gone.txt')).toBe(false);
  });
});

describe('S3 start-up errors and TLS', () => {
  it('when the credentials are refused, then the error names the bucket and the permission', async () => {
    const bucket = bucketName();
    const storage = createStorage(s3Config(bucket, { S3_SECRET_ACCESS_KEY: 'wrong-secret' }));

    await expect(prepareStorage(storage)).rejects.toThrow(
      new RegExp(`S3 bucket "${bucket}" cannot be reached: access denied .*s3:ListBucket`),
    );
  });

  it('when S3 is enabled without its variables, then each missing one is named', () => {
    expect(() =>
      createStorage({ ...s3Config('b'), S3_BUCKET_NAME: undefined, S3_ACCESS_KEY_ID: undefined }),
    ).toThrow(/S3_BUCKET_NAME: required.*S3_ACCESS_KEY_ID: required/);
  });

  it('when the endpoint has a self-signed certificate, then S3_VERIFY_SSL=false accepts it and true refuses it', async () => {
    const front = await startSelfSignedFront();
    const bucket = bucketName();
    try {
      const trusting = createStorage(
        s3Config(bucket, { S3_ENDPOINT_URL: front.url, S3_VERIFY_SSL: false }),
      );
      const strict = createStorage(
        s3Config(bucket, { S3_ENDPOINT_URL: front.url, S3_VERIFY_SSL: true }),
      );

      await prepareStorage(trusting);
      await trusting.put('tls.txt', Readable.from(['over tls']));

      expect(await text(await trusting.get('tls.txt'))).toBe('over tls');
      await expect(strict.check()).rejects.toThrow(/self-signed|certificate/i);
    } finally {
      await removeBucket(rawS3Client(), bucket);
      await front.close();
    }
  });
});
