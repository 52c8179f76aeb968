import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  call,
  newUser,
  startSyncHarness,
  waitForRun,
  type SyncHarness,
} from './support/sync.harness';

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

describe('the sync service /metrics', () => {
  let harness: SyncHarness;
  let folder: string;

  beforeAll(async () => {
    harness = await startSyncHarness({ PROMETHEUS_ENABLED: 'true', PROMETHEUS_PORT: '0' });
    folder = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-metrics-'));
  });

  afterAll(async () => {
    await harness.close();
    await rm(folder, { recursive: true, force: true });
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${harness.sync.metricsPort}/metrics`);
    expect(response.status).toBe(200);
    return parseExposition(await response.text());
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
    samples.find(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
    )?.value;

  it('when one sync completes and one fails, then sync_runs_total counts each by source type and status and sync_run_duration_seconds observes both', async () => {
    const user = newUser();
    const old = new Date(Date.now() - 60_000);
    await writeFile(path.join(folder, 'invoice.txt'), 'invoice 4711');
    await utimes(path.join(folder, 'invoice.txt'), old, old);
    const before = await scrape();

    const create = async (paths: string[]) =>
      (
        await call(harness, user, 'POST', '/api/sources', {
          name: 'scanner drop',
          source_type: 'local_folder',
          enabled: true,
          config: { paths, interval_seconds: 3600, watch: false },
        })
      ).body.id as string;
    const working = await create([folder]);
    const broken = await create([path.join(folder, 'not there')]);
    const completed = await waitForRun(harness, user, working);
    const failed = await waitForRun(harness, user, broken);
    expect(completed.run?.status).toBe('completed');
    expect(failed.run?.status).toBe('failed');

    const after = await scrape();
    const runs = (status: string) => ({ source_type: 'local_folder', status });
    expect(value(before, 'sync_runs_total', runs('completed'))).toBe(0);
    expect(value(before, 'sync_runs_total', runs('failed'))).toBe(0);
    expect(value(after, 'sync_runs_total', runs('completed'))).toBe(1);
    expect(value(after, 'sync_runs_total', runs('failed'))).toBe(1);
    expect(value(after, 'sync_runs_total', runs('stopped'))).toBe(0);
    expect(value(after, 'sync_runs_total', { source_type: 'webdav', status: 'completed' })).toBe(0);
    const local = { source_type: 'local_folder' };
    expect(value(after, 'sync_run_duration_seconds_count', local)).toBe(2);
    expect(value(after, 'sync_run_duration_seconds_sum', local)).toBeGreaterThan(0);
    expect(value(after, 'sync_run_duration_seconds_bucket', { ...local, le: '+Inf' })).toBe(2);
  });
});
