/** The kinds of sources. */
export const SOURCE_TYPES = ['local_folder', 'webdav', 's3'] as const;

/** One kind of source. */
export type SourceType = (typeof SOURCE_TYPES)[number];

/** A source as stored; `config` never holds secrets (they live encrypted beside it). */
export interface SourceRecord {
  id: string;
  user_id: string;
  name: string;
  source_type: SourceType;
  enabled: boolean;
  config: Record<string, unknown>;
  secret_ciphertext: string | null;
  interval_seconds: number;
  /** Role of whoever last set the configuration: a user's local folders stay within the roots. */
  created_by_role: 'admin' | 'user';
  next_run_at: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_sync_at: Date | null;
  last_sync_status: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** How a sync run ended (or that it still runs). */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** What a sync run counted; also the body of `source.sync.completed`. */
export interface RunStats {
  files_seen: number;
  files_new: number;
  files_changed: number;
  files_skipped: number;
  files_failed: number;
  files_deleted: number;
  bytes: number;
}

/** A sync run as stored, with its progress. */
export interface RunRecord extends RunStats {
  id: string;
  source_id: string;
  status: RunStatus;
  stop_requested: boolean;
  current_path: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** What the service knows of one file of a source. */
export interface SourceFileRecord {
  source_id: string;
  path: string;
  size: number;
  version: string;
  content_hash: string | null;
  document_id: string | null;
  status: 'synced' | 'failed' | 'deleted';
  failure_reason: string | null;
  attempts: number;
  next_retry_at: Date | null;
}

/** Zeroed statistics. */
export const emptyStats = (): RunStats => ({
  files_seen: 0,
  files_new: 0,
  files_changed: 0,
  files_skipped: 0,
  files_failed: 0,
  files_deleted: 0,
  bytes: 0,
});
