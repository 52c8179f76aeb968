import type http from 'node:http';
import { createBus } from '@readur/bus';
import { createApp, finishApp, listen, requireUser } from '@readur/http';
import { createLogger, type Logger } from '@readur/logger';
import { createMetrics, serverPort, startMetricsServer } from '@readur/metrics';
import { startOutboxRelay } from '@readur/outbox';
import type { SyncConfig } from './config';
import { createDatabase, migrate } from './data/database';
import { OUTBOX_TABLES } from './data/event.outbox';
import { CredentialCipher } from './domain/credential.cipher';
import { DocumentClient } from './domain/document.client';
import { startFolderWatchers } from './domain/folder.watcher';
import type { SourceDeps } from './domain/source.usecases';
import { startScheduler } from './domain/sync.scheduler';
import { createSyncMetrics } from './domain/sync.metrics';
import type { SyncDeps } from './domain/sync.runner';
import { sourceRoutes } from './http/source.routes';

/** The service name: logger field, bus client name, metrics label. */
export const SERVICE = 'sync';

/** A running sync service. */
export interface RunningSyncService {
  port: number;
  /** This replica's lease owner id (tests check who ran what). */
  owner: string;
  /** The port of `GET /metrics`, when `PROMETHEUS_ENABLED` (0 in the config picks a free one). */
  metricsPort: number | undefined;
  /** Stops HTTP, the watchers and the scheduler (running syncs end `interrupted`), then the rest. */
  close(): Promise<void>;
}

/** Test and embedding hooks; production uses the defaults. */
export interface SyncServiceOptions {
  logger?: Logger;
}

/**
 * Starts the sync service: migrates, starts the outbox relay, the scheduler and the folder
 * watchers, then listens on `config.PORT` (0 picks a free port).
 */
export async function startSyncService(
  config: SyncConfig,
  options: SyncServiceOptions = {},
): Promise<RunningSyncService> {
  const logger = options.logger ?? createLogger(SERVICE, config.LOG_LEVEL);
  const metrics = createMetrics(SERVICE);
  const knex = createDatabase(config.DATABASE_URL);
  const bus = createBus(config, { service: SERVICE, logger, metrics });
  // Run in order: the bus drains its handlers while the database is still open.
  const stops: Array<() => Promise<void>> = [() => bus.close(), () => knex.destroy()];

  try {
    await migrate(knex);
    const relay = startOutboxRelay({ knex, bus, logger, table: OUTBOX_TABLES.outbox });
    stops.unshift(() => relay.stop());

    const cipher = new CredentialCipher(config.SYNC_ENCRYPTION_KEY);
    const syncDeps: SyncDeps = {
      knex,
      logger,
      cipher,
      metrics: createSyncMetrics(metrics),
      documents: new DocumentClient(
        config.DOCUMENT_SERVICE_URL,
        config.INTERNAL_API_TOKEN,
        config.SYNC_REQUEST_TIMEOUT_MS,
      ),
      stabilityMs: config.FILE_STABILITY_CHECK_MS,
      requestTimeoutMs: config.SYNC_REQUEST_TIMEOUT_MS,
      retryBaseMs: config.SYNC_RETRY_BASE_DELAY_MS,
      retryMaxMs: config.SYNC_RETRY_MAX_DELAY_MS,
      localRoots: config.SYNC_LOCAL_ROOTS,
    };
    const scheduler = startScheduler(syncDeps, {
      tickMs: config.SYNC_SCHEDULER_TICK_MS,
      leaseSeconds: config.SYNC_LEASE_SECONDS,
      maxConcurrent: config.SYNC_MAX_CONCURRENT,
    });
    stops.unshift(() => scheduler.stop());
    const watchers = startFolderWatchers({
      knex,
      logger,
      stabilityMs: config.FILE_STABILITY_CHECK_MS,
      onChange: () => scheduler.wake(),
    });
    stops.unshift(() => watchers.close());
    await watchers.refresh();

    const sourceDeps: SourceDeps = {
      knex,
      cipher,
      stabilityMs: config.FILE_STABILITY_CHECK_MS,
      requestTimeoutMs: config.SYNC_REQUEST_TIMEOUT_MS,
      localRoots: config.SYNC_LOCAL_ROOTS,
      onSourcesChanged: () => {
        scheduler.wake();
        void watchers
          .refresh()
          .catch((error: unknown) => logger.warn('watch refresh failed', { error }));
      },
    };
    const app = createApp({
      service: SERVICE,
      logger,
      metrics,
      trustProxy: 'loopback',
      jsonLimit: '64kb',
      readiness: {
        database: async () => void (await knex.raw('SELECT 1')),
        broker: () => bus.check(),
      },
    });
    app.use('/api/sources', requireUser(config.INTERNAL_API_TOKEN), sourceRoutes(sourceDeps));
    finishApp(app, logger);

    const server = await listen(app, config.PORT);
    stops.unshift(() => server.close());

    let metricsPort: number | undefined;
    if (config.PROMETHEUS_ENABLED) {
      const metricsServer = await startMetricsServer(metrics, config.PROMETHEUS_PORT);
      stops.unshift(() => closeServer(metricsServer));
      metricsPort = serverPort(metricsServer);
    }

    logger.info('sync service listening', { port: server.port });
    return {
      port: server.port,
      owner: scheduler.owner,
      metricsPort,
      close: () => runAll(stops),
    };
  } catch (error) {
    await runAll(stops).catch(() => undefined);
    throw error;
  }
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

async function runAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop();
}
