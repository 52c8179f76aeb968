import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DocumentClient, DocumentServiceError } from '../src/domain/document.client';
import { startSilentServer } from './support/silent.server';
import {
  call,
  documentsOf,
  INTERNAL_TOKEN,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
  type TestUser,
} from './support/sync.harness';
import { startWebdav } from './support/webdav.server';

// Also the limit of the real calls of this file (uploads, PROPFINDs): wide enough for a loaded
// machine, while the silent server proves the limit fires.
const TIMEOUT_MS = 5000;

describe('outbound calls of the sync service that get no answer', () => {
  let harness: SyncHarness;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let root: string;
  let dav: Awaited<ReturnType<typeof startWebdav>>;

  beforeAll(async () => {
    harness = await startSyncHarness({ SYNC_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
    silent = await startSilentServer();
    root = await mkdtemp(path.join(os.tmpdir(), 'readur-dav-timeout-'));
    dav = await startWebdav(root);
  });

  afterAll(async () => {
    await dav.stop();
    await silent.close();
    await harness.close();
    await rm(root, { recursive: true, force: true });
  });

  const create = async (user: TestUser, sourceType: string, config: Record<string, unknown>) => {
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'hanging',
      source_type: sourceType,
      enabled: true,
      config: { interval_seconds: 3600, ...config },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  it('when a WebDAV server accepts the connection but never answers, then the sync fails with a timeout reason', async () => {
    const user = newUser();
    const accepted = silent.connections();
    const id = await create(user, 'webdav', {
      server_url: `${silent.url}/remote.php/dav/files/ada`,
      username: 'ada',
      password: 'app-token-123',
      folders: ['/Scans'],
    });

    const status = await waitForRun(harness, user, id);

    expect(silent.connections()).toBeGreaterThan(accepted);
    expect(status.run).toMatchObject({ status: 'failed' });
    expect(status.run?.error).toBe(`WebDAV PROPFIND /Scans: no answer within ${TIMEOUT_MS} ms`);
  });

  it('when a WebDAV server never answers the download of one file, then that file fails with a timeout reason and the rest is synced', async () => {
    const user = newUser();
    await mkdir(path.join(root, 'Inbox'));
    await writeFile(path.join(root, 'Inbox', 'fine.txt'), 'fine');
    await writeFile(path.join(root, 'Inbox', 'stuck.txt'), 'never sent');
    dav.hangingGets.add('/Inbox/stuck.txt');
    const id = await create(user, 'webdav', {
      server_url: dav.url,
      username: 'ada',
      password: 'app-token-123',
      folders: ['/Inbox'],
    });

    const status = await waitForRun(harness, user, id);

    expect(status.run).toMatchObject({ status: 'completed', files_new: 1, files_failed: 1 });
    expect(status.failures).toMatchObject([
      {
        path: '/Inbox/stuck.txt',
        reason: `WebDAV GET /Inbox/stuck.txt: no data for ${TIMEOUT_MS} ms`,
        attempts: 1,
      },
    ]);
    const names = (await documentsOf(harness, user.id)).map(
      (document) => document.original_filename,
    );
    expect(names).toEqual(['fine.txt']);
  });

  it('when an S3 server accepts the connection but never answers, then the sync fails with a timeout reason', async () => {
    const user = newUser();
    const id = await create(user, 's3', {
      endpoint_url: silent.url,
      bucket: 'hanging-bucket',
      access_key_id: 'readur-test',
      secret_access_key: 'readur-test-secret-key',
    });

    const status = await waitForRun(harness, user, id);

    expect(status.run).toMatchObject({ status: 'failed' });
    expect(status.run?.error).toBe(
      `S3 server ${new URL(silent.url).host}: no answer or data within ${TIMEOUT_MS} ms`,
    );
  });

  it('when the document service accepts the connection but never answers, then sending a file fails with DOCUMENT_SERVICE_TIMEOUT', async () => {
    const client = new DocumentClient(silent.url, INTERNAL_TOKEN, TIMEOUT_MS);

    const sent = client.ingest({
      userId: newUser().id,
      sourceId: newUser().id,
      sourcePath: '/Inbox/a.txt',
      filename: 'a.txt',
      body: Readable.from([Buffer.from('a small file')]),
    });

    const error = await sent.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DocumentServiceError);
    expect(error).toMatchObject({
      code: 'DOCUMENT_SERVICE_TIMEOUT',
      message: `the document service did not answer within ${TIMEOUT_MS} ms (POST /internal/documents)`,
    });
  });
});
