import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { v2 as webdav } from 'webdav-server';
import {
  call,
  documentsOf,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const BASE = '/remote.php/dav/files/ada';
const NAMES = ['Rechnung März 2024.txt', '100% sure #1.txt', '東京 メモ.txt', 'a+b=c & d.txt'];

/** A real WebDAV server (webdav-server) on loopback, serving `root` below a base path. */
async function startWebdav(root: string) {
  const users = new webdav.SimpleUserManager();
  const ada = users.addUser('ada', 'app-token-123', false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(ada, '/', ['all']);
  const server = new webdav.WebDAVServer({
    port: 0,
    hostname: '127.0.0.1',
    httpAuthentication: new webdav.HTTPBasicAuthentication(users, 'test'),
    privilegeManager: privileges,
  });
  const propfinds: string[] = [];
  server.beforeRequest((context, next) => {
    if (context.request.method === 'PROPFIND') propfinds.push(context.request.url ?? '');
    next();
  });
  await new Promise<void>((resolve, reject) =>
    server.setFileSystem(BASE, new webdav.PhysicalFileSystem(root), (ok) =>
      ok ? resolve() : reject(new Error('mount failed')),
    ),
  );
  const listening = await new Promise<import('node:http').Server>((resolve) =>
    server.start((started) => resolve(started as import('node:http').Server)),
  );
  const { port } = listening.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${BASE}`,
    propfinds,
    stop: () => new Promise<void>((resolve) => server.stop(() => resolve())),
  };
}

describe('WebDAV sources against a real WebDAV server', () => {
  let harness: SyncHarness;
  let root: string;
  let dav: Awaited<ReturnType<typeof startWebdav>>;

  beforeAll(async () => {
    harness = await startSyncHarness();
    root = await mkdtemp(path.join(os.tmpdir(), 'readur-dav-'));
    dav = await startWebdav(root);
  });

  afterAll(async () => {
    await dav.stop();
    await harness.close();
    await rm(root, { recursive: true, force: true });
  });

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
});
