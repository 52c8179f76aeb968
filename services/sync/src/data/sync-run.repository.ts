import type { Db } from './database';
import type { RunRecord, RunStats, RunStatus } from '../domain/source.types';

type Row = Omit<RunRecord, 'bytes'> & { bytes: string | number };
const toRecord = (row: Row): RunRecord => ({ ...row, bytes: Number(row.bytes) });

/** All SQL on `source_sync_runs`: start, progress, stop requests and the end of a run. */
export const syncRunRepository = {
  async insert(db: Db, id: string, sourceId: string): Promise<RunRecord> {
    const rows = await db('source_sync_runs')
      .insert({ id, source_id: sourceId, status: 'running' })
      .returning<Row[]>('*');
    return toRecord(rows[0] as Row);
  },

  async latest(db: Db, sourceId: string): Promise<RunRecord | undefined> {
    const row = (await db('source_sync_runs')
      .where({ source_id: sourceId })
      .orderBy('started_at', 'desc')
      .first()) as Row | undefined;
    return row ? toRecord(row) : undefined;
  },

  /** Runs left `running` by a replica whose lease expired (killed or restarted). */
  async markInterrupted(db: Db, sourceId: string): Promise<number> {
    return db('source_sync_runs')
      .where({ source_id: sourceId, status: 'running' })
      .update({ status: 'interrupted', finished_at: db.fn.now() });
  },

  async saveProgress(db: Db, id: string, stats: RunStats, currentPath: string | null) {
    await db('source_sync_runs')
      .where({ id })
      .update({ ...stats, current_path: currentPath });
  },

  async stopRequested(db: Db, id: string): Promise<boolean> {
    const row = await db('source_sync_runs')
      .where({ id })
      .first<{ stop_requested: boolean } | undefined>('stop_requested');
    return row?.stop_requested ?? false;
  },

  /** Asks the running run of a source to stop; false when none runs. */
  async requestStop(db: Db, sourceId: string): Promise<boolean> {
    const changed = await db('source_sync_runs')
      .where({ source_id: sourceId, status: 'running' })
      .update({ stop_requested: true });
    return changed > 0;
  },

  async finish(db: Db, id: string, status: RunStatus, stats: RunStats, error: string | null) {
    await db('source_sync_runs')
      .where({ id })
      .update({ ...stats, status, error, current_path: null, finished_at: db.fn.now() });
  },
};
