import type { Db } from './database';
import type { SourceRecord, SourceType } from '../domain/source.types';

/** The columns of a new source. */
export interface NewSource {
  id: string;
  user_id: string;
  name: string;
  source_type: SourceType;
  enabled: boolean;
  config: Record<string, unknown>;
  secret_ciphertext: string | null;
  interval_seconds: number;
  created_by_role: 'admin' | 'user';
}

/** The columns a PATCH may change. */
export type SourceChanges = Partial<
  Pick<
    SourceRecord,
    'name' | 'enabled' | 'config' | 'secret_ciphertext' | 'interval_seconds' | 'created_by_role'
  >
>;

const toJson = (changes: SourceChanges) =>
  changes.config ? { ...changes, config: JSON.stringify(changes.config) } : changes;

/** All SQL on `sources`, including the lease that keeps one replica per running source. */
export const sourceRepository = {
  async insert(db: Db, source: NewSource): Promise<SourceRecord> {
    const rows = await db('sources')
      .insert({ ...source, config: JSON.stringify(source.config) })
      .returning<SourceRecord[]>('*');
    return rows[0] as SourceRecord;
  },

  async findForUser(db: Db, id: string, userId: string): Promise<SourceRecord | undefined> {
    return (await db('sources').where({ id, user_id: userId }).first()) as SourceRecord | undefined;
  },

  async findById(db: Db, id: string): Promise<SourceRecord | undefined> {
    return (await db('sources').where({ id }).first()) as SourceRecord | undefined;
  },

  async listForUser(db: Db, userId: string): Promise<SourceRecord[]> {
    return (await db('sources')
      .where({ user_id: userId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])) as SourceRecord[];
  },

  async update(db: Db, id: string, changes: SourceChanges): Promise<SourceRecord> {
    const rows = await db('sources')
      .where({ id })
      .update({ ...toJson(changes), updated_at: db.fn.now() })
      .returning<SourceRecord[]>('*');
    return rows[0] as SourceRecord;
  },

  async delete(db: Db, id: string): Promise<void> {
    await db('sources').where({ id }).delete();
  },

  /** Enabled local folder sources (for the folder watchers). */
  async listLocalFolders(db: Db): Promise<Array<Pick<SourceRecord, 'id' | 'config'>>> {
    return (await db('sources')
      .select('id', 'config')
      .where({ source_type: 'local_folder', enabled: true })) as Array<
      Pick<SourceRecord, 'id' | 'config'>
    >;
  },

  /** Makes a source due now (a manual "sync now"). */
  async makeDue(db: Db, id: string): Promise<void> {
    await db('sources').where({ id }).update({ next_run_at: db.fn.now() });
  },

  /**
   * Takes the lease of one due, enabled source whose lease is free or expired. Two replicas
   * never get the same source: the row is locked and skipped by the other.
   */
  async claimDue(db: Db, owner: string, leaseSeconds: number): Promise<SourceRecord | undefined> {
    const result = await db.raw<{ rows: SourceRecord[] }>(
      `UPDATE sources SET lease_owner = ?, lease_expires_at = now() + make_interval(secs => ?)
       WHERE id = (
         SELECT id FROM sources
         WHERE enabled AND next_run_at <= now()
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
         ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, leaseSeconds],
    );
    return result.rows[0];
  },

  /** Extends a held lease; false when it was lost (expired and taken by another replica). */
  async renewLease(db: Db, id: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const changed = await db('sources')
      .where({ id, lease_owner: owner })
      .update({ lease_expires_at: db.raw('now() + make_interval(secs => ?)', [leaseSeconds]) });
    return changed > 0;
  },

  /** Ends a run: frees the lease and schedules the next one. */
  async finishRun(
    db: Db,
    id: string,
    owner: string,
    outcome: { status: string; error: string | null; nextRunInSeconds: number },
  ): Promise<void> {
    await db('sources')
      .where({ id, lease_owner: owner })
      .update({
        lease_owner: null,
        lease_expires_at: null,
        last_sync_at: db.fn.now(),
        last_sync_status: outcome.status,
        last_error: outcome.error,
        next_run_at: db.raw('now() + make_interval(secs => ?)', [outcome.nextRunInSeconds]),
      });
  },
};
