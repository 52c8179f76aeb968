import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { sourceRepository } from '../data/source.repository';
import { runSync, type SyncDeps } from './sync.runner';
import type { SourceRecord } from './source.types';

/** How often and how much the scheduler runs. */
export interface SchedulerOptions {
  tickMs: number;
  leaseSeconds: number;
  maxConcurrent: number;
}

/** The running scheduler of one replica. */
export interface SyncScheduler {
  /** This replica's lease owner id. */
  readonly owner: string;
  /** Looks for due sources now instead of at the next tick. */
  wake(): void;
  /** Source ids this replica is syncing now. */
  running(): string[];
  /** Stops taking work; running syncs end at their next batch as `interrupted`. */
  stop(): Promise<void>;
}

/**
 * Starts due syncs: every tick (or on `wake`) it claims due sources through their PostgreSQL
 * lease, so one source never runs twice at once, on this replica or any other. The lease is
 * renewed while a sync runs; a replica that dies stops renewing, its lease expires, and the
 * next claim marks the dead run `interrupted` and resumes (known files are not sent again).
 */
export function startScheduler(deps: SyncDeps, options: SchedulerOptions): SyncScheduler {
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const runs = new Map<string, Promise<void>>();
  let stopping = false;
  let ticking = false;
  let again = false;

  const runOne = async (source: SourceRecord) => {
    let leaseLost = false;
    const renew = setInterval(
      () => {
        void sourceRepository
          .renewLease(deps.knex, source.id, owner, options.leaseSeconds)
          .then((held) => {
            leaseLost ||= !held;
          })
          .catch((error: unknown) => deps.logger.warn('lease renewal failed', { error }));
      },
      Math.max(250, (options.leaseSeconds * 1000) / 3),
    );
    try {
      await runSync(deps, source, { aborted: () => stopping || leaseLost });
    } finally {
      clearInterval(renew);
    }
  };

  const tick = async () => {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      while (!stopping && runs.size < options.maxConcurrent) {
        const source = await sourceRepository.claimDue(deps.knex, owner, options.leaseSeconds);
        if (!source) break;
        const run = runOne(source)
          .catch((error: unknown) => {
            deps.logger.error('sync run crashed', { error });
          })
          .finally(() => {
            runs.delete(source.id);
            if (!stopping) void tick();
          });
        runs.set(source.id, run);
      }
    } catch (error) {
      deps.logger.warn('scheduler tick failed', { error });
    } finally {
      ticking = false;
      if (again && !stopping) {
        again = false;
        void tick();
      }
    }
  };

  const timer = setInterval(() => void tick(), options.tickMs);
  void tick();

  return {
    owner,
    wake: () => void tick(),
    running: () => [...runs.keys()],
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      await Promise.allSettled(runs.values());
    },
  };
}
