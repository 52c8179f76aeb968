import type http from 'node:http';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createBus } from '@readur/bus';
import {
  createApp,
  finishApp,
  HEALTH_CHECK_TIMEOUT_MS,
  listen,
  requireInternalToken,
  requireUser,
  type HealthCheck,
  type OptionalHealthCheck,
} from '@readur/http';
import { createLogger, type Logger } from '@readur/logger';
import { createMetrics, startMetricsServer, type Metrics } from '@readur/metrics';
import { startOutboxRelay } from '@readur/outbox';
import { createStorage, prepareStorage } from '@readur/storage';
import type { DocumentConfig } from './config';
import { ocrSubscription } from './consumers/ocr.consumer';
import { createDatabase, migrate } from './data/database';
import { ocrJobRepository } from './data/ocr-job.repository';
import { OUTBOX_TABLES } from './data/event.outbox';
import type { DocumentDeps } from './domain/document.deps';
import { documentRoutes } from './http/document.routes';
import { internalRoutes } from './http/internal.routes';
import { ocrOutputRoutes, queueRoutes } from './http/ocr-output.routes';
import { ocrRoutes } from './http/ocr.routes';
import { disabledSearchCache, redisSearchCache } from './data/search.cache';
import { searchRoutes, similarRoutes } from './http/search.routes';

/** The service name: logger field, bus client name, metrics label. */
export const SERVICE = 'document';

/** A running document service. */
export interface RunningDocumentService {
  port: number;
  /** Stops HTTP first, then the outbox relay, the bus and the database pool. */
  close(): Promise<void>;
}

/** Test and embedding hooks; production uses the defaults. */
export interface DocumentServiceOptions {
  logger?: Logger;
}

const MIB = 1024 * 1024;

/**
 * Starts the document service: migrates, opens storage, subscribes to OCR events, starts the
 * outbox relay, then listens on `config.PORT` (0 picks a free port).
 */
export async function startDocumentService(
  config: DocumentConfig,
  options: DocumentServiceOptions = {},
): Promise<RunningDocumentService> {
  const logger = options.logger ?? createLogger(SERVICE, config.LOG_LEVEL);
  const metrics = createMetrics(SERVICE);
  const knex = createDatabase(config.DATABASE_URL);
  const storage = createStorage(config);
  const bus = createBus(config, { service: SERVICE, logger, metrics });
  // Run in order: the bus drains its handlers while the database is still open.
  const stops: Array<() => Promise<void>> = [() => bus.close(), () => knex.destroy()];

  try {
    await migrate(knex);
    await prepareStorage(storage);

    await bus.subscribe(ocrSubscription({ knex, storage, logger, metrics }));
    trackOcrBacklog(metrics, knex);
    const relay = startOutboxRelay({ knex, bus, logger, table: OUTBOX_TABLES.outbox });
    stops.unshift(() => relay.stop());

    const deps: DocumentDeps = { knex, storage, logger };
    const readiness: Record<string, HealthCheck | OptionalHealthCheck> = {
      database: async () => void (await knex.raw('SELECT 1')),
      broker: () => bus.check(),
      storage: () => storage.check(),
    };
    if (config.REDIS_ENABLED) {
      // Search works without its cache, so Redis down only degrades the service.
      const redis = redisReadiness(config.REDIS_URL, logger);
      stops.push(() => redis.close());
      readiness.redis = { check: redis.check, optional: true };
    }
    const app = createApp({
      service: SERVICE,
      logger,
      metrics,
      trustProxy: 'loopback',
      jsonLimit: '256kb',
      readiness,
    });
    const user = requireUser(config.INTERNAL_API_TOKEN);
    const maxUploadBytes = config.MAX_UPLOAD_SIZE_MB * MIB;
    const cache = config.REDIS_ENABLED
      ? redisSearchCache({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          ttlSeconds: config.SEARCH_CACHE_TTL_SECONDS,
          logger,
        })
      : disabledSearchCache;
    stops.push(() => cache.close());
    const search = { knex, cache, fuzzyThreshold: config.SEARCH_FUZZY_THRESHOLD };
    app.use('/api/documents', user, similarRoutes(search));
    app.use('/api/search', user, searchRoutes(search));
    app.use('/api/ocr', user, ocrRoutes(deps));
    app.use('/api/queue', user, queueRoutes(deps));
    app.use('/api/documents', user, ocrOutputRoutes(deps));
    app.use('/api/documents', user, documentRoutes({ ...deps, maxUploadBytes }));
    app.use(
      '/internal/documents',
      requireInternalToken(config.INTERNAL_API_TOKEN),
      internalRoutes(deps),
    );
    finishApp(app, logger);

    const server = await listen(app, config.PORT);
    stops.unshift(() => server.close());

    if (config.PROMETHEUS_ENABLED) {
      const metricsServer = await startMetricsServer(metrics, config.PROMETHEUS_PORT);
      stops.unshift(() => closeServer(metricsServer));
    }

    logger.info('document service listening', { port: server.port });
    return { port: server.port, close: () => runAll(stops) };
  } catch (error) {
    await runAll(stops).catch(() => undefined);
    throw error;
  }
}

/**
 * `ocr_queue_pending_count`: documents queued for OCR and not yet taken by a worker (the
 * `pending` of `GET /api/queue/stats` over all users), read from the database at scrape time.
 */
function trackOcrBacklog(metrics: Metrics, knex: Knex): void {
  metrics.gauge(
    'ocr_queue_pending_count',
    'Documents queued for OCR that no worker has started',
    [],
    async (gauge) => gauge.set((await ocrJobRepository.queueCounts(knex)).pending),
  );
}

/**
 * PING on a Redis connection of its own, opened at the first check and again after it dropped
 * (no background reconnect loop): the search cache's client hides failures by design.
 */
function redisReadiness(
  url: string,
  logger: Logger,
): { check: HealthCheck; close(): Promise<void> } {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: HEALTH_CHECK_TIMEOUT_MS,
    commandTimeout: HEALTH_CHECK_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  // ioredis rejects a failed connect with "Connection is closed."; the cause comes as an event.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause = error;
    logger.debug('redis readiness check failed', { error: error.message });
  });
  let connecting: Promise<void> | undefined;

  return {
    check: async () => {
      if (redis.status === 'wait' || redis.status === 'end') {
        cause = undefined;
        connecting ??= redis.connect().finally(() => (connecting = undefined));
      }
      try {
        await connecting;
        await redis.ping();
      } catch (error) {
        throw cause ?? error;
      }
    },
    close: () => {
      // After a failed connect the stream is gone; disconnect() would arm a 2 s timer that
      // only the stream's 'close' clears, holding the process open.
      if (redis.status !== 'end') redis.disconnect();
      return Promise.resolve();
    },
  };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

async function runAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop();
}
