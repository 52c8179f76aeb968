import { pathsOutsideRoots } from './source.usecases';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Knex } from 'knex';
import { createEnvelope, EVENT } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import { recordEvent } from '../data/event.outbox';
import { sourceFileRepository, type FileOutcome } from '../data/source-file.repository';
import { sourceRepository } from '../data/source.repository';
import { syncRunRepository } from '../data/sync-run.repository';
import type { CredentialCipher } from './credential.cipher';
import type { DocumentClient } from './document.client';
import { createReader } from './readers/reader.factory';
import { baseName, type SourceEntry, type SourceReader } from './readers/reader.types';
import type { SyncMetrics } from './sync.metrics';
import {
  emptyStats,
  type RunStats,
  type RunStatus,
  type SourceFileRecord,
  type SourceRecord,
} from './source.types';

/** What a sync run works with. */
export interface SyncDeps {
  knex: Knex;
  logger: Logger;
  documents: DocumentClient;
  cipher: CredentialCipher;
  metrics: SyncMetrics;
  stabilityMs: number;
  requestTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** `SYNC_LOCAL_ROOTS`: the folders users' local folder sources must stay within. */
  localRoots: string[];
}

/** How the scheduler steers one run. */
export interface RunControl {
  /** True once the run must end now (service shutting down or lease lost). */
  aborted(): boolean;
}

type FileResult = 'new' | 'changed' | 'unchanged' | 'skipped' | 'failed';

const BATCH = 100;
const PARALLEL_FILES = 4;

/** Counts and hashes bytes on their way to the document service. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** One run's state, passed to each step. */
interface Run {
  id: string;
  source: SourceRecord;
  reader: SourceReader;
  stats: RunStats;
  /** Directory ETags seen this run; saved only when the run completes. */
  directories: Map<string, string>;
  unstableSeen: boolean;
  /**
   * Sizes of files present at the source but not settled this run (still being written, failed,
   * waiting for a retry): a file that disappeared with one of these sizes may have moved there.
   */
  unsettledSizes: Set<number>;
  deleteMissing: boolean;
}

/**
 * Syncs one source whose lease the caller holds: lists it as a stream, compares each file with
 * what is known (size and mtime/ETag, then the content hash at the document service), sends
 * new and changed files, records per-file failures with a retry time, reports files gone from
 * the source, and publishes `source.sync.started` / `source.sync.completed` with statistics.
 */
export async function runSync(
  deps: SyncDeps,
  source: SourceRecord,
  control: RunControl,
): Promise<{ status: RunStatus; stats: RunStats }> {
  const started = Date.now();
  const run = await beginRun(deps, source);
  let status: Exclude<RunStatus, 'running'> = 'completed';
  let error: string | null = null;

  try {
    assertStillAllowed(deps, source);
    status = await listAndSync(deps, run, control);
    if (status === 'completed') {
      await reportDeleted(deps, run);
      await saveDirectoryEtags(deps, run);
    }
  } catch (caught) {
    status = 'failed';
    error = caught instanceof Error ? caught.message : String(caught);
    deps.logger.warn('source sync failed', { source_id: source.id, error: caught });
  }

  const durationMs = Date.now() - started;
  try {
    await endRun(deps, run, status, error, durationMs);
  } finally {
    // Counted even when the run's row could not be closed (the run is then `interrupted` in
    // the database, and resumed).
    deps.metrics.runFinished(source.source_type, status, durationMs / 1000);
  }
  return { status, stats: run.stats };
}

/** A user's local folder outside today's `SYNC_LOCAL_ROOTS` (narrowed since) is not read. */
function assertStillAllowed(deps: SyncDeps, source: SourceRecord): void {
  if (source.source_type !== 'local_folder' || source.created_by_role === 'admin') return;
  const refused = pathsOutsideRoots(deps.localRoots, source.config);
  if (refused.length > 0) {
    throw new Error(`folders outside SYNC_LOCAL_ROOTS are not synced: ${refused.join(', ')}`);
  }
}

async function beginRun(deps: SyncDeps, source: SourceRecord): Promise<Run> {
  const interrupted = await syncRunRepository.markInterrupted(deps.knex, source.id);
  if (interrupted > 0) deps.logger.info('resuming an interrupted sync', { source_id: source.id });

  const id = randomUUID();
  await deps.knex.transaction(async (trx) => {
    await syncRunRepository.insert(trx, id, source.id);
    const envelope = createEnvelope(EVENT.sourceSyncStarted, {
      source_id: source.id,
      user_id: source.user_id,
      source_type: source.source_type,
      started_at: new Date().toISOString(),
    });
    await recordEvent(trx, envelope);
  });
  deps.logger.info('source sync started', { source_id: source.id, run_id: id });

  const secret = source.secret_ciphertext
    ? deps.cipher.decrypt(source.secret_ciphertext)
    : undefined;
  return {
    id,
    source,
    reader: createReader({ ...source, secret }, deps),
    stats: emptyStats(),
    directories: new Map(),
    unstableSeen: false,
    unsettledSizes: new Set(),
    deleteMissing: source.config.delete_missing === true,
  };
}

async function listAndSync(
  deps: SyncDeps,
  run: Run,
  control: RunControl,
): Promise<Exclude<RunStatus, 'running'>> {
  const context = {
    unchangedDirectory: async (path: string, etag: string) => {
      const known = await sourceFileRepository.directoryEtag(deps.knex, run.source.id, path);
      if (known === etag) {
        await sourceFileRepository.markTreeSeen(deps.knex, run.source.id, run.id, path);
        return true;
      }
      run.directories.set(path, etag);
      return false;
    },
  };

  let batch: SourceEntry[] = [];
  for await (const entry of run.reader.list(context)) {
    batch.push(entry);
    if (batch.length < BATCH) continue;
    const status = await syncBatch(deps, run, batch, control);
    if (status) return status;
    batch = [];
  }
  return (await syncBatch(deps, run, batch, control)) ?? 'completed';
}

/** Syncs one batch; answers a final status when the run must end early. */
async function syncBatch(
  deps: SyncDeps,
  run: Run,
  batch: SourceEntry[],
  control: RunControl,
): Promise<'interrupted' | 'stopped' | undefined> {
  const known = await sourceFileRepository.findMany(
    deps.knex,
    run.source.id,
    batch.map((entry) => entry.path),
  );
  const unchanged: string[] = [];

  await forEachLimited(batch, PARALLEL_FILES, async (entry) => {
    run.stats.files_seen += 1;
    const result = await syncFile(deps, run, entry, known.get(entry.path));
    if (result === 'unchanged') unchanged.push(entry.path);
    count(run.stats, result);
  });
  await sourceFileRepository.markSeen(deps.knex, run.source.id, run.id, unchanged);
  await syncRunRepository.saveProgress(deps.knex, run.id, run.stats, batch.at(-1)?.path ?? null);

  if (control.aborted()) return 'interrupted';
  if (await syncRunRepository.stopRequested(deps.knex, run.id)) return 'stopped';
  return undefined;
}

function count(stats: RunStats, result: FileResult): void {
  if (result === 'new') stats.files_new += 1;
  else if (result === 'changed') stats.files_changed += 1;
  else if (result === 'failed') stats.files_failed += 1;
  else stats.files_skipped += 1;
}

const isUnchanged = (entry: SourceEntry, known: SourceFileRecord | undefined) =>
  known?.status === 'synced' && known.size === entry.size && known.version === entry.version;

const waitsForRetry = (entry: SourceEntry, known: SourceFileRecord | undefined) =>
  known?.status === 'failed' &&
  known.size === entry.size &&
  known.version === entry.version &&
  (known.next_retry_at?.getTime() ?? 0) > Date.now();

async function syncFile(
  deps: SyncDeps,
  run: Run,
  entry: SourceEntry,
  known: SourceFileRecord | undefined,
): Promise<FileResult> {
  if (isUnchanged(entry, known)) return 'unchanged';
  if (entry.unstable || waitsForRetry(entry, known)) {
    if (entry.unstable) run.unstableSeen = true;
    run.unsettledSizes.add(entry.size);
    if (known) await sourceFileRepository.markSeen(deps.knex, run.source.id, run.id, [entry.path]);
    return 'skipped';
  }

  try {
    const { outcome, result } = await sendFile(deps, run, entry, known);
    await sourceFileRepository.save(deps.knex, run.source.id, run.id, outcome);
    return result;
  } catch (error) {
    run.unsettledSizes.add(entry.size);
    const attempts = (known?.attempts ?? 0) + 1;
    const delay = Math.min(deps.retryBaseMs * 2 ** (attempts - 1), deps.retryMaxMs);
    const reason = error instanceof Error ? error.message : String(error);
    await sourceFileRepository.save(deps.knex, run.source.id, run.id, {
      path: entry.path,
      size: entry.size,
      version: entry.version,
      document_id: known?.document_id ?? null,
      status: 'failed',
      failure_reason: reason.slice(0, 500),
      attempts,
      next_retry_at: new Date(Date.now() + delay),
    });
    deps.logger.warn('source file failed', { source_id: run.source.id, attempts, reason });
    return 'failed';
  }
}

async function sendFile(
  deps: SyncDeps,
  run: Run,
  entry: SourceEntry,
  known: SourceFileRecord | undefined,
): Promise<{ outcome: FileOutcome; result: FileResult }> {
  const { source } = run;
  let result: FileResult | undefined;
  let documentId = known?.document_id ?? null;
  let meter = new Meter();
  const read = async (): Promise<Readable> => {
    meter = new Meter();
    const stream = await run.reader.open(entry);
    stream.on('error', (error) => meter.destroy(error));
    // A send that failed half-way leaves the source stream paused: close it (and its socket).
    meter.once('close', () => {
      if (!stream.readableEnded) stream.destroy();
    });
    return stream.pipe(meter);
  };

  if (documentId) {
    const replaced = await deps.documents.replace(source.user_id, documentId, await read());
    if ('missing' in replaced) documentId = null;
    else result = replaced.changed ? 'changed' : 'unchanged';
  }
  if (!documentId) {
    const ingested = await deps.documents.ingest({
      userId: source.user_id,
      sourceId: source.id,
      sourcePath: entry.path,
      filename: baseName(entry.path),
      body: await read(),
    });
    documentId = ingested.document_id;
    result = ingested.created ? 'new' : 'skipped';
  }

  if (meter.bytes !== entry.size) throw new Error('the file changed while it was read');
  run.stats.bytes += meter.bytes;
  const outcome: FileOutcome = {
    path: entry.path,
    size: entry.size,
    version: entry.version,
    content_hash: meter.hash.digest('hex'),
    document_id: documentId,
    status: 'synced',
    failure_reason: null,
    attempts: 0,
    next_retry_at: null,
  };
  return { outcome, result: result ?? 'skipped' };
}

/**
 * Reports the files not seen this run. Their document is removed only when the source says so
 * and no live file links to it any more: a moved file (or another copy of the same bytes) was
 * linked to that same document when its new path was sent. A file that may have moved to a
 * path not settled this run (same size) waits for a later run, so its move is seen first.
 */
async function reportDeleted(deps: SyncDeps, run: Run): Promise<void> {
  for (;;) {
    const gone = await sourceFileRepository.unseen(deps.knex, run.source.id, run.id, BATCH);
    if (gone.length === 0) return;

    const deferred: string[] = [];
    for (const file of gone) {
      if (run.deleteMissing && file.document_id && run.unsettledSizes.has(file.size)) {
        deferred.push(file.path);
        continue;
      }
      const removed = await removeDocumentOf(deps, run, file);
      await sourceFileRepository.markDeleted(deps.knex, run.source.id, file.path, removed);
      run.stats.files_deleted += 1;
      deps.logger.info('source file deleted at the source', {
        source_id: run.source.id,
        document_id: file.document_id,
        document_removed: removed,
      });
    }
    await sourceFileRepository.markSeen(deps.knex, run.source.id, run.id, deferred);
  }
}

/** Removes the document of a file gone from the source, if wanted and nothing else links it. */
async function removeDocumentOf(
  deps: SyncDeps,
  run: Run,
  file: SourceFileRecord,
): Promise<boolean> {
  if (!run.deleteMissing || !file.document_id) return false;
  const linked = await sourceFileRepository.documentLinkedElsewhere(
    deps.knex,
    file.document_id,
    run.source.id,
    file.path,
  );
  if (linked) return false;

  await deps.documents.remove(run.source.user_id, file.document_id);
  return true;
}

/** Saved only when every file was settled: a skipped tree must hold nothing left to retry. */
async function saveDirectoryEtags(deps: SyncDeps, run: Run): Promise<void> {
  if (run.unstableSeen || run.unsettledSizes.size > 0 || run.stats.files_failed > 0) return;
  for (const [path, etag] of run.directories) {
    await sourceFileRepository.saveDirectoryEtag(deps.knex, run.source.id, path, etag);
  }
}

async function endRun(
  deps: SyncDeps,
  run: Run,
  status: Exclude<RunStatus, 'running'>,
  error: string | null,
  durationMs: number,
): Promise<void> {
  const { source, stats } = run;
  const soon = Math.ceil(deps.stabilityMs / 1000) + 1;
  const next =
    status === 'interrupted' || (run.unstableSeen && status === 'completed')
      ? Math.min(soon, source.interval_seconds)
      : source.interval_seconds;

  await deps.knex.transaction(async (trx) => {
    await syncRunRepository.finish(trx, run.id, status, stats, error);
    await sourceRepository.finishRun(trx, source.id, source.lease_owner ?? '', {
      status,
      error,
      nextRunInSeconds: next,
    });
    const envelope = createEnvelope(EVENT.sourceSyncCompleted, {
      source_id: source.id,
      user_id: source.user_id,
      source_type: source.source_type,
      ...stats,
      status,
      duration_ms: durationMs,
    });
    await recordEvent(trx, envelope);
  });
  deps.logger.info('source sync finished', {
    source_id: source.id,
    status,
    ...stats,
    duration_ms: durationMs,
  });
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
