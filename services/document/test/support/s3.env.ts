import { Client } from 'minio';
import { uniqueName } from '@readur/testkit';

/** The local S3-compatible test server of `scripts/s3.sh` (started by `make test`). */
export const S3_TEST = {
  endpointUrl: process.env.S3_TEST_ENDPOINT ?? 'http://127.0.0.1:9555',
  accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? 'readur-test',
  secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? 'readur-test-secret-key',
};

/** A fresh bucket name, valid for S3 (lowercase, dashes). */
export const testBucketName = (): string =>
  uniqueName('readur-doc').replace(/_/g, '-').slice(0, 60);

/** The document service variables that put its files into `bucket`. */
export const s3Env = (bucket: string): Record<string, string> => ({
  S3_ENABLED: 'true',
  S3_ENDPOINT_URL: S3_TEST.endpointUrl,
  S3_BUCKET_NAME: bucket,
  S3_ACCESS_KEY_ID: S3_TEST.accessKeyId,
  S3_SECRET_ACCESS_KEY: S3_TEST.secretAccessKey,
  S3_USE_SSL: 'false',
});

/** A raw client for assertions that go around the service. */
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

/** Object names under `prefix`. */
export async function listKeys(client: Client, bucket: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const item of client.listObjectsV2(bucket, prefix, true)) {
    const name = (item as { name?: string }).name;
    if (name) names.push(name);
  }
  return names.sort();
}

/** Empties and removes `bucket`. */
export async function dropBucket(client: Client, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) return;
  const names = await listKeys(client, bucket);
  if (names.length > 0) await client.removeObjects(bucket, names);
  await client.removeBucket(bucket);
}
