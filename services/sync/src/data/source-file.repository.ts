import type { Db } from './database';
import type { SourceFileRecord } from '../domain/source.types';

type Row = Omit<SourceFileRecord, 'size'> & { size: string | number };
const toRecord = (row: Row): SourceFileRecord => ({ ...row, size: Number(row.size) });

/** The state a file is left in after a sync looked at it. */
export interface FileOutcome {
  path: string;
  size: number;
  version: string;
  content_hash?: string | null;
  document_id?: string | null;
  status: SourceFileRecord['status'];
  failure_reason?: string | null;
  attempts?: number;
  next_retry_at?: Date | null;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (match) => `\\${match}`);

/** All SQL on `source_files` and `source_directories`. */
export const sourceFileRepository = {
  async findMany(
    db: Db,
    sourceId: string,
    paths: string[],
  ): Promise<Map<string, SourceFileRecord>> {
    if (paths.length === 0) return new Map();
    const rows = (await db('source_files')
      .where({ source_id: sourceId })
      .whereIn('path', paths)) as Row[];
    return new Map(rows.map((row) => [row.path, toRecord(row)]));
  },

  /** Marks files as seen by `runId` without changing anything else (unchanged files). */
  async markSeen(db: Db, sourceId: string, runId: string, paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    await db('source_files')
      .where({ source_id: sourceId })
      .whereIn('path', paths)
      .update({ last_seen_run_id: runId });
  },

  /** Marks every known file below `directory` as seen (its directory ETag did not change). */
  async markTreeSeen(db: Db, sourceId: string, runId: string, directory: string): Promise<void> {
    const prefix = directory.endsWith('/') ? directory : `${directory}/`;
    await db('source_files')
      .where({ source_id: sourceId })
      .whereNot({ status: 'deleted' })
      .whereRaw("path LIKE ? ESCAPE '\\'", [`${escapeLike(prefix)}%`])
      .update({ last_seen_run_id: runId });
  },

  async save(db: Db, sourceId: string, runId: string, outcome: FileOutcome): Promise<void> {
    await db('source_files')
      .insert({ source_id: sourceId, last_seen_run_id: runId, ...outcome, updated_at: db.fn.now() })
      .onConflict(['source_id', 'path'])
      .merge();
  },

  /** Files not seen by `runId` that were present before: deleted at the source. */
  async unseen(
    db: Db,
    sourceId: string,
    runId: string,
    limit: number,
  ): Promise<SourceFileRecord[]> {
    const rows = (await db('source_files')
      .where({ source_id: sourceId })
      .whereNot({ status: 'deleted' })
      .where(
        (query) => void query.whereNull('last_seen_run_id').orWhereNot('last_seen_run_id', runId),
      )
      .orderBy('path')
      .limit(limit)) as Row[];
    return rows.map(toRecord);
  },

  /**
   * True when a file that still exists at a source (any source, any path but `path` of
   * `sourceId`) is linked to `documentId`: a moved file or another copy of the same bytes.
   */
  async documentLinkedElsewhere(
    db: Db,
    documentId: string,
    sourceId: string,
    path: string,
  ): Promise<boolean> {
    const row: unknown = await db('source_files')
      .where({ document_id: documentId })
      .whereNot({ status: 'deleted' })
      .whereNot((query) => void query.where({ source_id: sourceId, path }))
      .first('path');
    return row !== undefined;
  },

  async markDeleted(db: Db, sourceId: string, path: string, documentRemoved: boolean) {
    await db('source_files')
      .where({ source_id: sourceId, path })
      .update({
        status: 'deleted',
        ...(documentRemoved ? { document_id: null } : {}),
        updated_at: db.fn.now(),
      });
  },

  async directoryEtag(db: Db, sourceId: string, path: string): Promise<string | undefined> {
    const row = await db('source_directories')
      .where({ source_id: sourceId, path })
      .first<{ etag: string } | undefined>('etag');
    return row?.etag;
  },

  async saveDirectoryEtag(db: Db, sourceId: string, path: string, etag: string): Promise<void> {
    await db('source_directories')
      .insert({ source_id: sourceId, path, etag })
      .onConflict(['source_id', 'path'])
      .merge();
  },

  /** Failed files of a source with their reasons, newest first. */
  async failures(db: Db, sourceId: string, limit: number): Promise<SourceFileRecord[]> {
    const rows = (await db('source_files')
      .where({ source_id: sourceId, status: 'failed' })
      .orderBy('updated_at', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toRecord);
  },
};
