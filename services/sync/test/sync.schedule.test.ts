import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@readur/testkit';
import {
  call,
  documentsOf,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';

describe('schedules, leases and failed files', () => {
  let harness: SyncHarness;
  let folder: string;

  beforeAll(async () => {
    harness = await startSyncHarness();
    await harness.startReplica();
  });

  afterAll(async () => {
    await harness.close();
  });

  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-schedule-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const old = new Date(Date.now() - 60_000);
  const writeOld = async (name: string, text: string) => {
    await writeFile(path.join(folder, name), text);
    await utimes(path.join(folder, name), old, old);
  };

  it('when two replicas schedule one source, then its runs never overlap and every file becomes one document', async () => {
    const user = newUser();
    for (let index = 0; index < 150; index += 1)
      await writeOld(`f${index}.txt`, `file number ${index}`);
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'shared',
      source_type: 'local_folder',
      enabled: true,
      config: { paths: [folder], interval_seconds: 1, watch: false },
    });
    const id = created.body.id as string;

    await waitFor(
      async () =>
        Number(
          (
            await harness
              .knex('source_sync_runs')
              .where({ source_id: id, status: 'completed' })
              .count<{ count: string }[]>({ count: '*' })
          )[0]?.count,
        ) >= 4,
      { timeoutMs: 45_000, intervalMs: 200 },
    );

    const runs = await harness
      .knex('source_sync_runs')
      .where({ source_id: id })
      .whereNotNull('finished_at')
      .orderBy('started_at')
      .select<Array<{ started_at: Date; finished_at: Date; status: string }>>(
        'started_at',
        'finished_at',
        'status',
      );
    for (let index = 1; index < runs.length; index += 1) {
      expect(
        (runs[index]?.started_at.getTime() ?? 0) >= (runs[index - 1]?.finished_at.getTime() ?? 0),
      ).toBe(true);
    }
    expect(runs.every((run) => run.status === 'completed')).toBe(true);
    expect(await documentsOf(harness, user.id)).toHaveLength(150);
  });

  it('when a sync is stopped, then it ends after its batch as stopped; a sync asked for while one runs is 409', async () => {
    const user = newUser();
    for (let index = 0; index < 400; index += 1)
      await writeOld(`s${index}.txt`, `stop me ${index}`);
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'stoppable',
      source_type: 'local_folder',
      enabled: true,
      config: { paths: [folder], interval_seconds: 3600, watch: false },
    });
    const id = created.body.id as string;
    await waitFor(
      async () => {
        const status = (await call(harness, user, 'GET', `/api/sources/${id}/status`)).body;
        return (
          status.state === 'running' &&
          Number((status.run as { files_seen: number }).files_seen) >= 100
        );
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );

    const again = await call(harness, user, 'POST', `/api/sources/${id}/sync`);
    const stop = await call(harness, user, 'POST', `/api/sources/${id}/sync/stop`);
    const status = await waitForRun(harness, user, id);

    expect(again).toMatchObject({ status: 409, body: { code: 'SYNC_ALREADY_RUNNING' } });
    expect(stop.status).toBe(202);
    expect(status.run?.status).toBe('stopped');
    expect(Number(status.run?.files_seen)).toBeLessThan(400);
    expect((await call(harness, user, 'POST', `/api/sources/${id}/sync/stop`)).body).toMatchObject({
      code: 'SYNC_NOT_RUNNING',
    });
  });

  it('when a file fails, then the failure is recorded with its reason, retried with growing delays on later syncs, and taken once it is fixed', async () => {
    const user = newUser();
    await writeOld('empty.txt', '');
    await writeOld('fine.txt', 'fine');
    const created = await call(harness, user, 'POST', '/api/sources', {
      name: 'flaky',
      source_type: 'local_folder',
      enabled: true,
      config: { paths: [folder], interval_seconds: 1, watch: false },
    });
    const id = created.body.id as string;

    let status = await waitForRun(harness, user, id);
    expect(status.run).toMatchObject({ status: 'completed', files_new: 1, files_failed: 1 });
    expect(status.failures).toEqual([
      expect.objectContaining({
        path: path.join(folder, 'empty.txt'),
        reason: 'The uploaded file is empty',
        attempts: 1,
      }),
    ]);

    await waitFor(
      async () => {
        status = await waitForRun(harness, user, id, status.run?.id);
        return (status.failures[0]?.attempts ?? 0) >= 3;
      },
      { timeoutMs: 30_000 },
    );
    const row = await harness
      .knex('source_files')
      .where({ source_id: id, status: 'failed' })
      .first<{ attempts: number; next_retry_at: Date; updated_at: Date }>(
        'attempts',
        'next_retry_at',
        'updated_at',
      );
    // Base 200 ms doubling per attempt, capped at 1 s (the harness's SYNC_RETRY_* values).
    const expected = Math.min(200 * 2 ** ((row?.attempts ?? 1) - 1), 1000);
    const waited = (row?.next_retry_at.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0);
    expect(Math.abs(waited - expected)).toBeLessThan(150);

    await writeOld('empty.txt', 'now it has content');
    await waitFor(async () => (await documentsOf(harness, user.id)).length === 2, {
      timeoutMs: 20_000,
    });
    status = await waitForRun(harness, user, id, status.run?.id);
    expect(status.failures).toEqual([]);
  });
});
