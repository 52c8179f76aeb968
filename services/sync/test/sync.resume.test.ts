import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@readur/testkit';
import {
  documentsOf,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';

const FILES = 400;

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'support/sync.child.ts')],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

describe('a sync killed mid-way', () => {
  let harness: SyncHarness;
  let folder: string;

  beforeAll(async () => {
    // The in-process replica starts only after the kill: it must not compete for the source.
    harness = await startSyncHarness({ SYNC_SCHEDULER_TICK_MS: '3600000' }, { LOG_LEVEL: 'error' });
    folder = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-kill-'));
    const old = new Date(Date.now() - 60_000);
    for (let index = 0; index < FILES; index += 1) {
      const file = path.join(folder, `page-${String(index).padStart(4, '0')}.txt`);
      await writeFile(file, `page ${index} of a long scan`);
      await utimes(file, old, old);
    }
  });

  afterAll(async () => {
    await harness.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('when the replica is killed during a sync, then another resumes after the lease and creates no duplicates', async () => {
    const user = newUser();
    const { child, port } = await startChild({ ...harness.syncEnv, SYNC_SCHEDULER_TICK_MS: '100' });

    const created = await fetch(`http://127.0.0.1:${port}/api/sources`, {
      method: 'POST',
      headers: { ...user.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'big folder',
        source_type: 'local_folder',
        enabled: true,
        config: { paths: [folder], interval_seconds: 3600, watch: false },
      }),
    });
    const id = ((await created.json()) as { id: string }).id;
    let killedRunId: string | undefined;
    await waitFor(
      async () => {
        const run = await harness
          .knex('source_sync_runs')
          .where({ source_id: id })
          .first<{ id: string; files_seen: number }>('id', 'files_seen');
        killedRunId = run?.id;
        return (run?.files_seen ?? 0) >= 100;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const before = (await documentsOf(harness, user.id)).length;

    const replica = await harness.startReplica({ SYNC_SCHEDULER_TICK_MS: '100' });
    // the killed run turns interrupted first: wait for the run after it
    const status = await waitForRun(
      { ...harness, baseUrl: `http://127.0.0.1:${replica.port}` },
      user,
      id,
      killedRunId,
    );

    const runs = await harness
      .knex('source_sync_runs')
      .where({ source_id: id })
      .orderBy('started_at')
      .select('status');
    const documents = await documentsOf(harness, user.id);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(FILES);
    expect(runs.map((run: { status: string }) => run.status)).toEqual(['interrupted', 'completed']);
    const failures = await harness
      .knex('source_files')
      .where({ source_id: id, status: 'failed' })
      .select('path', 'failure_reason');
    expect(failures).toEqual([]);
    expect(status.run).toMatchObject({ status: 'completed', files_failed: 0 });
    expect(documents).toHaveLength(FILES);
    expect(new Set(documents.map((document) => document.source_path)).size).toBe(FILES);
  });
});
