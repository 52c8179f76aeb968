import { Client } from 'minio';
import { uniqueName } from '@readur/testkit';

/** The local S3-compatible test server of `scripts/s3.sh` (started by `make test`). */
export const S3_TEST = {
  endpointUrl: process.env.S3_TEST_ENDPOINT ?? 'http://127.0.0.1:9555',
  accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? 'readur-test',
  secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? 'readur-test-secret-key',
};

/** A fresh bucket name, valid for S3. */
export const testBucketName = (prefix: string): string =>
  uniqueName(prefix).replace(/_/g, '-').slice(0, 60);

/** A raw client for arranging and checking objects. */
export function rawS3(): Client {
  const url = new URL(S3_TEST.endpointUrl);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: S3_TEST.accessKeyId,
    secretKey: S3_TEST.secretAccessKey,
    region: 'us-east-1',
    pathStyle: true,
  });
}

/** Empties and removes `bucket`. */
export async function dropBucket(client: Client, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true)) {
    const name = (item as { name?: string }).name;
    if (name) names.push(name);
  }
  if (names.length > 0) await client.removeObjects(bucket, names);
  await client.removeBucket(bucket);
}

/**
 * Uploads `bytes` as a real multipart object through the S3 multipart API (initiate, one PUT
 * per part, complete); answers the ETag of CompleteMultipartUpload (`<md5 of part md5s>-N`).
 */
export async function putInParts(
  client: Client,
  bucket: string,
  key: string,
  bytes: Buffer,
  partSize: number,
): Promise<string> {
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, {});
  const parts: Array<{ part: number; etag: string }> = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    const part = parts.length + 1;
    const { etag } = await client.uploadPart(
      { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
      bytes.subarray(offset, offset + partSize),
    );
    parts.push({ part, etag });
  }
  const { etag } = await client.completeMultipartUpload(bucket, key, uploadId, parts);
  return etag;
}
