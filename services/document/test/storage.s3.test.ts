import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { createLogger } from '@readur/logger';
import { createStorage, LocalStorage, prepareStorage } from '@readur/storage';
import { migrateStorage } from '../src/domain/storage-migration.usecase';
import {
  call,
  newUser,
  startHarness,
  uploadDocument,
  type Harness,
} from './support/document.harness';
import { textBytes } from './support/file.factory';
import { dropBucket, listKeys, rawS3, S3_TEST, s3Env, testBucketName } from './support/s3.env';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const raw = rawS3();

describe('documents stored in S3 (S3_ENABLED=true)', () => {
  const bucket = testBucketName();
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness(s3Env(bucket));
  });

  afterAll(async () => {
    await harness.close();
    await dropBucket(raw, bucket);
  });

  it('when a file is uploaded, then its bytes live in the bucket (created at start-up) and download whole', async () => {
    const user = newUser();
    const bytes = textBytes('stored in object storage, Grüße 東京');

    const document = await uploadDocument(harness, user, { bytes, filename: 'Notiz März.txt' });
    const download = await call(harness, user, 'GET', `/api/documents/${document.id}/download`);

    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(bytes));
    expect(await listKeys(raw, bucket)).toEqual([`${user.id}/${document.id}/${document.filename}`]);
    expect(await harness.storedFiles()).toEqual([]);
  });
});

describe('migrating local files to S3', () => {
  const bucket = testBucketName();
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
    await dropBucket(raw, bucket);
  });

  it('when the migration runs, then each object is copied and verified, a corrupted one is refused, a rerun copies nothing', async () => {
    const user = newUser();
    const good = [textBytes('first document'), textBytes('second document')];
    const documents = [];
    for (const [index, bytes] of good.entries()) {
      documents.push(await uploadDocument(harness, user, { bytes, filename: `doc ${index}.txt` }));
    }
    const corrupted = await uploadDocument(harness, user, {
      bytes: textBytes('third'),
      filename: 'c.txt',
    });
    const keyOf = async (id: string) =>
      (await harness.knex('documents').where({ id }).first<{ storage_key: string }>('storage_key'))
        ?.storage_key ?? '';
    const corruptedKey = await keyOf(corrupted.id);
    await writeFile(path.join(harness.storagePath, ...corruptedKey.split('/')), 'tampered');
    const thumbnailKey = `derived/${user.id}/${documents[0]?.id}/thumbnail.webp`;
    await mkdir(path.join(harness.storagePath, 'derived', user.id, documents[0]?.id ?? ''), {
      recursive: true,
    });
    await writeFile(path.join(harness.storagePath, ...thumbnailKey.split('/')), 'thumbnail bytes');
    const target = createStorage(s3EnvConfig(bucket));
    await prepareStorage(target);
    const deps = {
      knex: harness.knex,
      source: new LocalStorage(harness.storagePath),
      target,
      logger: createLogger('storage-migrate', 'silent'),
    };

    const first = await migrateStorage(deps, { batchSize: 2 });
    const second = await migrateStorage(deps);

    expect(first).toMatchObject({ total: 3, copied: 2, present: 0, derived_copied: 1 });
    expect((await buffer(await raw.getObject(bucket, thumbnailKey))).toString()).toBe(
      'thumbnail bytes',
    );
    expect(first.failed).toEqual([
      { document_id: corrupted.id, storage_key: corruptedKey, reason: 'checksum_mismatch' },
    ]);
    for (const [index, document] of documents.entries()) {
      const stored = await buffer(await raw.getObject(bucket, await keyOf(document.id)));
      expect(sha256(stored)).toBe(sha256(good[index] as Buffer));
    }
    expect(await listKeys(raw, bucket)).not.toContain(corruptedKey);
    expect(second).toMatchObject({ total: 3, copied: 0, present: 2, derived_copied: 0 });
  });
});

function s3EnvConfig(bucket: string) {
  return {
    STORAGE_PATH: '/unused',
    S3_ENABLED: true,
    S3_ENDPOINT_URL: S3_TEST.endpointUrl,
    S3_BUCKET_NAME: bucket,
    S3_ACCESS_KEY_ID: S3_TEST.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3_TEST.secretAccessKey,
    S3_REGION: 'us-east-1',
    S3_USE_SSL: false,
    S3_VERIFY_SSL: true,
  };
}
