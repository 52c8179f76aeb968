import type { Metrics } from '@readur/metrics';
import { SOURCE_TYPES, type RunStatus, type SourceType } from './source.types';

/** How a run can end. */
type FinalStatus = Exclude<RunStatus, 'running'>;

const FINAL_STATUSES: FinalStatus[] = ['completed', 'failed', 'stopped', 'interrupted'];

/** What the sync runner reports on the service's `/metrics`. */
export interface SyncMetrics {
  /** One finished run: `sync_runs_total` and `sync_run_duration_seconds`. */
  runFinished(sourceType: SourceType, status: FinalStatus, seconds: number): void;
}

/**
 * `sync_runs_total{source_type,status}` and `sync_run_duration_seconds{source_type}`. Every
 * source type and final status starts at 0, so a rate or an alert on failures has a series
 * before the first failure.
 */
export function createSyncMetrics(metrics: Metrics): SyncMetrics {
  const runs = metrics.counter(
    'sync_runs_total',
    'Sync runs finished, by source type and final status (completed, failed, stopped, interrupted)',
    ['source_type', 'status'],
  );
  const duration = metrics.histogram(
    'sync_run_duration_seconds',
    'Duration of finished sync runs in seconds',
    ['source_type'],
    [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600],
  );
  for (const sourceType of SOURCE_TYPES) {
    for (const status of FINAL_STATUSES) runs.inc({ source_type: sourceType, status }, 0);
  }

  return {
    runFinished: (sourceType, status, seconds) => {
      runs.inc({ source_type: sourceType, status });
      duration.observe({ source_type: sourceType }, seconds);
    },
  };
}
