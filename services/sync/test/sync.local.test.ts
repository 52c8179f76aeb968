import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@readur/testkit';
import {
  call,
  documentsOf,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('local folder sources', () => {
  let harness: SyncHarness;
  let folder: string;

  beforeAll(async () => {
    // A 1-second stability window: a file written every 200 ms is never mistaken for a finished
    // one, even when a loaded machine stalls the writer for a moment.
    harness = await startSyncHarness({ FILE_STABILITY_CHECK_MS: '1000' });
  });

  afterAll(async () => {
    await harness.close();
  });

  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-local-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const old = new Date(Date.now() - 60_000);
  const writeOld = async (name: string, text: string) => {
    await writeFile(path.join(folder, name), text);
    await utimes(path.join(folder, name), old, old);
  };

  /** Every run of a source, oldest first, with its counters as numbers. */
  const runsOf = async (sourceId: string) => {
    const rows = await harness
      .knex('source_sync_runs')
      .where({ source_id: sourceId })
      .orderBy('started_at')
      .select<Array<Record<string, unknown>>>();
    return rows.map((row) => ({
      status: row.status as string,
      files_seen: Number(row.files_seen),
      files_new: Number(row.files_new),
      files_changed: Number(row.files_changed),
      files_skipped: Number(row.files_skipped),
      files_failed: Number(row.files_failed),
      files_deleted: Number(row.files_deleted),
      bytes: Number(row.bytes),
    }));
  };
  const total = (runs: Awaited<ReturnType<typeof runsOf>>, key: 'files_new' | 'files_changed') =>
    runs.reduce((sum, run) => sum + run[key], 0);

  const createSource = async (
    user: ReturnType<typeof newUser>,
    config: Record<string, unknown>,
  ) => {
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'scanner drop',
      source_type: 'local_folder',
      enabled: true,
      config: { paths: [folder], interval_seconds: 1, watch: false, ...config },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  it('when a folder is synced, then each file becomes one document with its source, hidden and temporary files are skipped, events carry statistics', async () => {
    const user = newUser();
    await writeOld('invoice.txt', 'invoice 4711');
    await writeOld('letter.txt', 'dear Ada');
    await writeOld('.hidden.txt', 'hidden');
    await writeOld('draft.txt.part', 'partial download');
    await writeOld('~$report.docx', 'office lock');

    const id = await createSource(user, {});
    const status = await waitForRun(harness, user, id);

    expect(status.run).toMatchObject({
      status: 'completed',
      files_seen: 2,
      files_new: 2,
      bytes: 20,
    });
    const documents = await documentsOf(harness, user.id);
    expect(documents.map((document) => document.original_filename)).toEqual([
      'invoice.txt',
      'letter.txt',
    ]);
    expect(documents.every((document) => document.source_id === id)).toBe(true);
    expect(documents[0]?.source_path).toBe(path.join(folder, 'invoice.txt'));
    await waitFor(() =>
      harness.events.find(
        (event) => event.event === 'source.sync.completed' && event.data.source_id === id,
      ),
    );
    const completed = harness.events.find(
      (event) => event.event === 'source.sync.completed' && event.data.source_id === id,
    );
    expect(completed?.data).toMatchObject({
      files_seen: 2,
      files_new: 2,
      files_failed: 0,
      bytes: 20,
    });
    expect(
      harness.events.some(
        (event) => event.event === 'source.sync.started' && event.data.source_id === id,
      ),
    ).toBe(true);
  });

  it.each([
    ['without a watcher', { watch: false }],
    ['with native watcher events', { watch: true }],
    ['with a polling watcher', { watch: true, use_polling: true }],
  ])(
    'when two unchanged files go through several sync cycles %s, then neither is read again',
    async (_how, watchConfig) => {
      // Stands in for "2 unchanged files over 3 minutes of a 60-second interval": a 1-second
      // interval stands for the 60-second schedule and three cycles follow the first sync. Every
      // run is checked, also any a watcher event started: a re-read would show in `bytes`.
      const user = newUser();
      await writeOld('a.txt', 'alpha');
      await writeOld('b.txt', 'beta');
      const id = await createSource(user, watchConfig);
      let status = await waitForRun(harness, user, id);
      expect(status.run).toMatchObject({ files_new: 2, bytes: 9 });

      for (let cycle = 0; cycle < 3; cycle += 1) {
        status = await waitForRun(harness, user, id, status.run?.id);
      }

      const [first, ...later] = await runsOf(id);
      expect(first).toMatchObject({ files_new: 2, bytes: 9 });
      expect(later.length).toBeGreaterThanOrEqual(3);
      for (const run of later) {
        expect(run).toMatchObject({
          status: 'completed',
          files_seen: 2,
          files_skipped: 2,
          files_new: 0,
          files_changed: 0,
          bytes: 0,
        });
      }
      expect(await documentsOf(harness, user.id)).toHaveLength(2);
    },
  );

  it('when a file is touched without a content change, then no document and no update appear; when its content changes, then the same document gets a new version', async () => {
    const user = newUser();
    await writeOld('notes.txt', 'version one');
    const id = await createSource(user, {});
    let status = await waitForRun(harness, user, id);
    const [document] = await documentsOf(harness, user.id);

    const touched = new Date(Date.now() - 30_000);
    await utimes(path.join(folder, 'notes.txt'), touched, touched);
    status = await waitForRun(harness, user, id, status.run?.id);
    expect(status.run).toMatchObject({ files_new: 0, files_changed: 0, files_skipped: 1 });
    expect(
      harness.events.filter(
        (event) => event.event === 'document.updated' && event.data.document_id === document?.id,
      ),
    ).toEqual([]);

    await writeOld('notes.txt', 'version two, longer');
    status = await waitForRun(harness, user, id, status.run?.id);
    expect(status.run).toMatchObject({ files_new: 0, files_changed: 1 });
    const after = await documentsOf(harness, user.id);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: document?.id, file_hash: sha256('version two, longer') });
    await waitFor(() =>
      harness.events.find(
        (event) => event.event === 'document.updated' && event.data.document_id === document?.id,
      ),
    );
    // New bytes need new text: a fresh OCR run is asked for.
    await waitFor(() =>
      harness.events.find(
        (event) => event.event === 'ocr.requested' && event.data.document_id === document?.id,
      ),
    );
  });

  it('when a file is written slowly over two seconds while watched, then it is taken once and complete', async () => {
    const user = newUser();
    const id = await createSource(user, { watch: true, interval_seconds: 3600 });
    let status = await waitForRun(harness, user, id);
    expect(status.run).toMatchObject({ files_seen: 0 });

    const handle = await open(path.join(folder, 'slow scan.txt'), 'w');
    const parts = Array.from({ length: 8 }, (_, index) => `part ${index} of the slow scan\n`);
    for (const part of parts) {
      await handle.write(part);
      await sleep(250);
    }
    await handle.close();

    await waitFor(async () => (await documentsOf(harness, user.id)).length === 1, {
      timeoutMs: 20_000,
    });
    await sleep(1500);
    const documents = await documentsOf(harness, user.id);
    expect(documents).toHaveLength(1);
    expect(documents[0]?.file_hash).toBe(sha256(parts.join('')));
    status = await waitForRun(harness, user, id);
    expect(status.run?.files_failed).toBe(0);
  });

  it('when a file grows while its writer keeps an old mtime, then it is taken once, complete, after it stops changing', async () => {
    // A copier that preserves the original's timestamps can leave an old mtime on a file that is
    // still growing: an mtime age alone would take it half-written. No watcher: the scan decides.
    const user = newUser();
    const id = await createSource(user, { interval_seconds: 1 });
    await waitForRun(harness, user, id);

    const file = path.join(folder, 'copied scan.txt');
    const handle = await open(file, 'w');
    const parts = Array.from({ length: 12 }, (_, index) => `part ${index} of the copied scan\n`);
    for (const part of parts) {
      await handle.write(part);
      await utimes(file, old, old);
      await sleep(200);
    }
    await handle.close();

    await waitFor(async () => (await documentsOf(harness, user.id)).length === 1, {
      timeoutMs: 20_000,
    });
    const taken = (await runsOf(id)).length;
    await waitFor(async () => (await runsOf(id)).length > taken + 1, { timeoutMs: 20_000 });

    const runs = await runsOf(id);
    const documents = await documentsOf(harness, user.id);
    expect(documents).toHaveLength(1);
    expect(documents[0]?.file_hash).toBe(sha256(parts.join('')));
    // Taken half-written, it would have come back as changed once complete.
    expect(total(runs, 'files_new')).toBe(1);
    expect(total(runs, 'files_changed')).toBe(0);
    expect(runs.every((run) => run.files_failed === 0)).toBe(true);
  });

  it('when a file is moved within the folder of a source that removes deleted files, then its document stays, with the same id', async () => {
    const user = newUser();
    await mkdir(path.join(folder, 'filed'));
    await writeOld('scan.txt', 'a scanned page');
    await writeOld('other.txt', 'another page');
    const id = await createSource(user, { delete_missing: true, interval_seconds: 3600 });
    let status = await waitForRun(harness, user, id);
    const before = (await documentsOf(harness, user.id)).find(
      (document) => document.original_filename === 'scan.txt',
    );

    await rename(path.join(folder, 'scan.txt'), path.join(folder, 'filed', 'scan.txt'));
    expect((await call(harness, user, 'POST', `/api/sources/${id}/sync`)).status).toBe(202);
    status = await waitForRun(harness, user, id, status.run?.id);

    expect(status.run).toMatchObject({ files_new: 0, files_deleted: 1, files_failed: 0 });
    const after = await documentsOf(harness, user.id);
    expect(after.map((document) => document.original_filename)).toEqual(['other.txt', 'scan.txt']);
    expect(after.find((document) => document.original_filename === 'scan.txt')?.id).toBe(
      before?.id,
    );
    const moved = await harness
      .knex('source_files')
      .where({ source_id: id, path: path.join(folder, 'filed', 'scan.txt') })
      .first<{ document_id: string }>('document_id');
    expect(moved?.document_id).toBe(before?.id);
  });

  it('when a moved file is still changing at its new place during a sync, then its document is kept until the move is seen', async () => {
    const user = newUser();
    await writeOld('scan.txt', 'a scanned page');
    const id = await createSource(user, { delete_missing: true, interval_seconds: 3600 });
    let status = await waitForRun(harness, user, id);
    const [before] = await documentsOf(harness, user.id);

    // Moved, then touched every 100 ms for a while (same size, new mtime): not settled yet.
    const moved = path.join(folder, 'scan moved.txt');
    await rename(path.join(folder, 'scan.txt'), moved);
    let touching = true;
    const toucher = (async () => {
      while (touching) {
        const now = new Date();
        await utimes(moved, now, now);
        await sleep(100);
      }
    })();
    expect((await call(harness, user, 'POST', `/api/sources/${id}/sync`)).status).toBe(202);
    status = await waitForRun(harness, user, id, status.run?.id);
    touching = false;
    await toucher;

    expect(status.run).toMatchObject({ files_new: 0, files_skipped: 1, files_deleted: 0 });
    expect(await documentsOf(harness, user.id)).toHaveLength(1);
    // The run saw an unsettled file, so a follow-up sync comes by itself a moment later.
    await waitFor(
      async () =>
        (await harness.knex('source_files').where({ source_id: id, status: 'deleted' }).first()) !==
        undefined,
      { timeoutMs: 20_000 },
    );
    const after = await documentsOf(harness, user.id);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before?.id, original_filename: 'scan.txt' });
  });

  it('when a file is deleted at the source, then it is reported and its document removed when the source says so', async () => {
    const user = newUser();
    await writeOld('keep.txt', 'keep me');
    await writeOld('drop.txt', 'drop me');
    const id = await createSource(user, { delete_missing: true });
    let status = await waitForRun(harness, user, id);
    expect(await documentsOf(harness, user.id)).toHaveLength(2);

    await unlink(path.join(folder, 'drop.txt'));
    status = await waitForRun(harness, user, id, status.run?.id);

    expect(status.run).toMatchObject({ files_deleted: 1 });
    expect(
      (await documentsOf(harness, user.id)).map((document) => document.original_filename),
    ).toEqual(['keep.txt']);
  });

  it('when sources are managed, then another user sees 404, credentials are never returned and bad configs are refused with codes', async () => {
    const user = newUser();
    const stranger = newUser();
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'nextcloud',
      source_type: 'webdav',
      enabled: false,
      config: {
        server_url: 'http://127.0.0.1:9/remote.php/dav/files/ada',
        username: 'ada',
        password: 's3cret-app-token',
      },
    });
    const id = created.body.id as string;

    const listed = await call(harness, user, 'GET', '/api/sources');
    const foreign = await call(harness, stranger, 'GET', `/api/sources/${id}`);
    const invalid = await call(harness, user, 'POST', '/api/sources', {
      name: 'x',
      source_type: 'local_folder',
      enabled: true,
      config: { paths: [] },
    });
    const patched = await call(harness, user, 'PATCH', `/api/sources/${id}`, { name: 'renamed' });
    const probe = await call(harness, user, 'POST', '/api/sources/test', {
      source_type: 'local_folder',
      config: { paths: [path.join(folder, 'missing')] },
    });
    const stored = await harness
      .knex('sources')
      .where({ id })
      .first<{ secret_ciphertext: string; config: Record<string, unknown> }>(
        'secret_ciphertext',
        'config',
      );

    expect(created.status).toBe(201);
    expect(JSON.stringify(listed.body)).not.toContain('s3cret-app-token');
    expect(created.body).toMatchObject({ credentials_set: true });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    expect(invalid.body).toMatchObject({ code: 'INVALID_SOURCE_CONFIG' });
    expect(patched.body).toMatchObject({ name: 'renamed', credentials_set: true });
    expect(probe).toMatchObject({ status: 422, body: { code: 'SOURCE_UNREACHABLE' } });
    expect(stored?.secret_ciphertext).not.toContain('s3cret');
    expect(stored?.config).not.toHaveProperty('password');
    expect((await call(harness, user, 'DELETE', `/api/sources/${id}`)).status).toBe(204);
  });

  it('when a user names a folder outside SYNC_LOCAL_ROOTS, then 403; an admin may', async () => {
    const user = newUser();
    const admin = newUser();
    admin.headers['X-User-Role'] = 'admin';
    const body = {
      name: 'system',
      source_type: 'local_folder',
      enabled: false,
      config: { paths: ['/etc'] },
    };

    const refused = await call(harness, user, 'POST', '/api/sources', body);
    const escaped = await call(harness, user, 'POST', '/api/sources', {
      ...body,
      config: { paths: [path.join(os.tmpdir(), '..', 'etc')] },
    });
    const allowed = await call(harness, admin, 'POST', '/api/sources', body);

    expect(refused).toMatchObject({ status: 403, body: { code: 'LOCAL_PATH_NOT_ALLOWED' } });
    expect(escaped.status).toBe(403);
    expect(allowed.status).toBe(201);
  });
});

describe('when SYNC_LOCAL_ROOTS is narrowed after a user set up a folder below it', () => {
  it('then that folder is no longer read (the sync fails and says why), and an admin folder still is', async () => {
    const roots = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-roots-'));
    const [userFolder, adminFolder] = [path.join(roots, 'ada'), path.join(roots, 'shared')];
    await mkdir(userFolder);
    await mkdir(adminFolder);
    const started = await startSyncHarness({ SYNC_LOCAL_ROOTS: roots });
    let harness = started;
    const user = newUser();
    const admin = newUser();
    admin.headers['X-User-Role'] = 'admin';
    const create = async (who: typeof user, folder: string) => {
      const created = await call(harness, who, 'POST', '/api/sources', {
        name: 'drop',
        source_type: 'local_folder',
        enabled: true,
        config: { paths: [folder], interval_seconds: 3600, watch: false },
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const syncNow = async (who: typeof user, id: string, afterRunId: string | null) => {
      expect((await call(harness, who, 'POST', `/api/sources/${id}/sync`)).status).toBe(202);
      return waitForRun(harness, who, id, afterRunId);
    };

    try {
      await writeFile(path.join(userFolder, 'first.txt'), 'taken while allowed');
      const userSource = await create(user, userFolder);
      const adminSource = await create(admin, adminFolder);
      const allowed = await waitForRun(harness, user, userSource);
      const adminFirst = await waitForRun(harness, admin, adminSource);
      expect(allowed.run?.status).toBe('completed');
      expect(await documentsOf(harness, user.id)).toHaveLength(1);

      // The operator narrows the roots: the replica restarts without `roots`.
      await started.sync.close();
      const narrowed = await started.startReplica({
        SYNC_LOCAL_ROOTS: path.join(os.tmpdir(), 'readur-elsewhere'),
      });
      harness = { ...started, baseUrl: `http://127.0.0.1:${narrowed.port}` };
      await writeFile(path.join(userFolder, 'second.txt'), 'must not be read');
      await writeFile(path.join(adminFolder, 'memo.txt'), 'an admin folder may be anywhere');
      const refused = await syncNow(user, userSource, allowed.run?.id ?? null);
      const adminRun = await syncNow(admin, adminSource, adminFirst.run?.id ?? null);

      expect(refused.run).toMatchObject({
        status: 'failed',
        error: `folders outside SYNC_LOCAL_ROOTS are not synced: ${userFolder}`,
      });
      expect(await documentsOf(harness, user.id)).toHaveLength(1);
      expect(adminRun.run?.status).toBe('completed');
      expect(await documentsOf(harness, admin.id)).toHaveLength(1);
    } finally {
      await started.close();
      await rm(roots, { recursive: true, force: true });
    }
  });
});
