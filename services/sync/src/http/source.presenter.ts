import type { RunRecord, SourceFileRecord, SourceRecord } from '../domain/source.types';
import type { SourceStatus } from '../domain/source.usecases';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The public JSON of a source: never the secret, only whether one is set. */
export function presentSource(source: SourceRecord) {
  return {
    id: source.id,
    name: source.name,
    source_type: source.source_type,
    enabled: source.enabled,
    config: source.config,
    credentials_set: source.secret_ciphertext !== null,
    interval_seconds: source.interval_seconds,
    next_run_at: iso(source.next_run_at),
    last_sync_at: iso(source.last_sync_at),
    last_sync_status: source.last_sync_status,
    last_error: source.last_error,
    created_at: iso(source.created_at),
    updated_at: iso(source.updated_at),
  };
}

function presentRun(run: RunRecord) {
  return {
    id: run.id,
    status: run.status,
    stop_requested: run.stop_requested,
    files_seen: run.files_seen,
    files_new: run.files_new,
    files_changed: run.files_changed,
    files_skipped: run.files_skipped,
    files_failed: run.files_failed,
    files_deleted: run.files_deleted,
    bytes: run.bytes,
    current_path: run.current_path,
    error: run.error,
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
  };
}

function presentFailure(file: SourceFileRecord) {
  return {
    path: file.path,
    reason: file.failure_reason,
    attempts: file.attempts,
    next_retry_at: iso(file.next_retry_at),
  };
}

/** `GET /api/sources/:id/status`: idle or running, the latest run's progress, failed files. */
export function presentStatus(status: SourceStatus) {
  const running = status.run?.status === 'running';
  return {
    source_id: status.source.id,
    state: running ? 'running' : 'idle',
    enabled: status.source.enabled,
    next_run_at: iso(status.source.next_run_at),
    last_sync_at: iso(status.source.last_sync_at),
    last_sync_status: status.source.last_sync_status,
    run: status.run ? presentRun(status.run) : null,
    failures: status.failures.map(presentFailure),
  };
}
