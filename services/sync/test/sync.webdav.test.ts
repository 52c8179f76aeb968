import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  call,
  documentsOf,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';
import { startWebdav } from './support/webdav.server';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const NAMES = ['Rechnung März 2024.txt', '100% sure #1.txt', '東京 メモ.txt', 'a+b=c & d.txt'];

describe('WebDAV sources against a real WebDAV server', () => {
  let harness: SyncHarness;
  let root: string;
  let dav: Awaited<ReturnType<typeof startWebdav>>;
  let cloudRoot: string;
  let cloud: Awaited<ReturnType<typeof startWebdav>>;

  beforeAll(async () => {
    // Retries a minute away: a test moves a failed file's retry time itself, when it wants one.
    harness = await startSyncHarness({
      SYNC_RETRY_BASE_DELAY_MS: '60000',
      SYNC_RETRY_MAX_DELAY_MS: '60000',
    });
    root = await mkdtemp(path.join(os.tmpdir(), 'readur-dav-'));
    dav = await startWebdav(root);
    cloudRoot = await mkdtemp(path.join(os.tmpdir(), 'readur-dav-cloud-'));
    cloud = await startWebdav(cloudRoot, true);
  });

  afterAll(async () => {
    await dav.stop();
    await cloud.stop();
    await harness.close();
    await rm(root, { recursive: true, force: true });
    await rm(cloudRoot, { recursive: true, force: true });
  });

  /** A `nextcloud` source on the Nextcloud-like server for one folder. */
  const createCloudSource = async (user: ReturnType<typeof newUser>, folder: string) => {
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'nextcloud tree',
      source_type: 'webdav',
      enabled: true,
      config: {
        server_url: cloud.url,
        username: 'ada',
        password: 'app-token-123',
        folders: [folder],
        server_type: 'nextcloud',
        extensions: ['txt'],
        interval_seconds: 3600,
      },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  const syncAgain = async (user: ReturnType<typeof newUser>, id: string, after?: string) => {
    expect((await call(harness, user, 'POST', `/api/sources/${id}/sync`)).status).toBe(202);
    return waitForRun(harness, user, id, after);
  };

  it('when a tree with awkward names is synced behind a base path, then every name round-trips; a changed, a moved and a deleted file are handled', async () => {
    const user = newUser();
    await mkdir(path.join(root, 'Scans 2024', 'Unterordner ü'), { recursive: true });
    for (const [index, name] of NAMES.entries()) {
      await writeFile(
        path.join(root, 'Scans 2024', index % 2 ? 'Unterordner ü' : '', name),
        `content of ${name}`,
      );
    }
    await writeFile(path.join(root, 'Scans 2024', '.DS_Store'), 'hidden');

    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'nextcloud',
      source_type: 'webdav',
      enabled: true,
      config: {
        server_url: dav.url,
        username: 'ada',
        password: 'app-token-123',
        folders: ['/Scans 2024'],
        extensions: ['txt'],
        interval_seconds: 3600,
        delete_missing: true,
      },
    });
    const id = created.body.id as string;
    let status = await waitForRun(harness, user, id);

    expect(status.run).toMatchObject({ status: 'completed', files_new: 4, files_failed: 0 });
    const documents = await documentsOf(harness, user.id);
    expect(documents.map((document) => document.original_filename).sort()).toEqual(
      [...NAMES].sort(),
    );
    const paths = documents.map((document) => document.source_path).sort();
    expect(paths).toEqual(
      NAMES.map((name, index) => `/Scans 2024/${index % 2 ? 'Unterordner ü/' : ''}${name}`).sort(),
    );
    for (const document of documents) {
      expect(document.file_hash).toBe(sha256(`content of ${document.original_filename}`));
    }

    const movedName = NAMES[2] as string;
    const movedId = documents.find((document) => document.original_filename === movedName)?.id;
    const changedName = NAMES[0] as string;
    await writeFile(path.join(root, 'Scans 2024', changedName), 'a changed invoice, longer now');
    await rename(
      path.join(root, 'Scans 2024', NAMES[2] as string),
      path.join(root, 'Scans 2024', 'Unterordner ü', NAMES[2] as string),
    );
    await unlink(path.join(root, 'Scans 2024', 'Unterordner ü', NAMES[3] as string));
    expect((await call(harness, user, 'POST', `/api/sources/${id}/sync`)).status).toBe(202);
    status = await waitForRun(harness, user, id, status.run?.id);

    // The moved file has the same bytes: its new path links to its document, the old path is
    // reported gone, and the document both paths point at stays (only the deleted file's goes).
    expect(status.run).toMatchObject({
      files_changed: 1,
      files_new: 0,
      files_deleted: 2,
      files_failed: 0,
    });
    const after = await documentsOf(harness, user.id);
    expect(after.map((document) => document.original_filename).sort()).toEqual(
      [NAMES[0], NAMES[1], NAMES[2]].sort(),
    );
    expect(after.find((document) => document.original_filename === movedName)?.id).toBe(movedId);
    const movedFile = await harness
      .knex('source_files')
      .where({ source_id: id, path: `/Scans 2024/Unterordner ü/${movedName}` })
      .first<{ document_id: string; status: string }>('document_id', 'status');
    expect(movedFile).toEqual({ document_id: movedId, status: 'synced' });
    expect(after.find((document) => document.original_filename === changedName)?.file_hash).toBe(
      sha256('a changed invoice, longer now'),
    );
  });

  it('when a nextcloud tree is unchanged, then a second sync lists nothing below it; a change deep in the tree is still found', async () => {
    const user = newUser();
    const tree = path.join(cloudRoot, 'Tree');
    await mkdir(path.join(tree, 'Deep', 'Deeper'), { recursive: true });
    await mkdir(path.join(tree, 'Other'));
    await writeFile(path.join(tree, 'top.txt'), 'top');
    await writeFile(path.join(tree, 'Deep', 'middle.txt'), 'middle');
    await writeFile(path.join(tree, 'Deep', 'Deeper', 'bottom.txt'), 'bottom');
    await writeFile(path.join(tree, 'Other', 'aside.txt'), 'aside');
    const id = await createCloudSource(user, '/Tree');
    let status = await waitForRun(harness, user, id);
    expect(status.run).toMatchObject({ status: 'completed', files_new: 4 });

    cloud.propfinds.length = 0;
    status = await syncAgain(user, id, status.run?.id);

    expect(status.run).toMatchObject({ status: 'completed', files_seen: 0, files_deleted: 0 });
    expect(cloud.propfinds).toEqual([{ path: '/Tree', depth: '0' }]);

    await writeFile(path.join(tree, 'Deep', 'Deeper', 'bottom.txt'), 'bottom, changed deep down');
    cloud.propfinds.length = 0;
    status = await syncAgain(user, id, status.run?.id);

    expect(status.run).toMatchObject({ status: 'completed', files_changed: 1, files_new: 0 });
    const listed = cloud.propfinds.filter((propfind) => propfind.depth === '1');
    expect(listed.map((propfind) => propfind.path)).toEqual([
      '/Tree',
      '/Tree/Deep',
      '/Tree/Deep/Deeper',
    ]);
    const bottom = (await documentsOf(harness, user.id)).find(
      (document) => document.original_filename === 'bottom.txt',
    );
    expect(bottom?.file_hash).toBe(sha256('bottom, changed deep down'));
  });

  it('when a file of a nextcloud tree waits for its retry, then the tree is listed again until that file is synced', async () => {
    const user = newUser();
    const tree = path.join(cloudRoot, 'Retry');
    await mkdir(path.join(tree, 'Inner'), { recursive: true });
    await writeFile(path.join(tree, 'fine.txt'), 'fine');
    await writeFile(path.join(tree, 'Inner', 'flaky.txt'), 'flaky at first');
    cloud.refusedGets.add('/Retry/Inner/flaky.txt');
    const id = await createCloudSource(user, '/Retry');
    let status = await waitForRun(harness, user, id);
    expect(status.run).toMatchObject({ files_new: 1, files_failed: 1 });

    // The retry is not due yet: the file is skipped, and the tree must not be marked as done.
    status = await syncAgain(user, id, status.run?.id);
    expect(status.run).toMatchObject({ status: 'completed', files_failed: 0, files_new: 0 });

    cloud.refusedGets.clear();
    await harness
      .knex('source_files')
      .where({ source_id: id })
      .update({ next_retry_at: new Date(0) });
    status = await syncAgain(user, id, status.run?.id);

    expect(status.run).toMatchObject({ status: 'completed', files_new: 1, files_failed: 0 });
    const names = (await documentsOf(harness, user.id)).map(
      (document) => document.original_filename,
    );
    expect(names).toEqual(['fine.txt', 'flaky.txt']);
  });
});
