import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { Knex } from 'knex';
import { createBus } from '@readur/bus';
import { createApp, finishApp, listen } from '@readur/http';
import { createLogger, type Logger } from '@readur/logger';
import { createMetrics, startMetricsServer, type Metrics } from '@readur/metrics';
import type { WebhookConfig } from './config';
import { startDeliveryWorker, type DeliveryWorker } from './consumers/delivery.worker';
import { eventSubscription } from './consumers/event.consumer';
import { createDatabase, migrate } from './data/database';
import { deliveryRepository } from './data/delivery.repository';
import { systemResolver, type HostResolver } from './data/address.guard';
import { createEndpointClient } from './data/endpoint.client';
import { syncGlobalWebhook } from './domain/global-webhook.usecase';
import { createSecretCipher } from './domain/secret.cipher';
import type { WebhookDeps } from './domain/webhook.deps';
import { requireUser } from './http/trust.middleware';
import { webhookRoutes } from './http/webhook.routes';

/** The service name: logger field, bus client name, metrics label. */
export const SERVICE = 'webhook-dispatcher';

/** A running webhook dispatcher. */
export interface RunningWebhookDispatcher {
  port: number;
  /** Stops HTTP, then consuming, then the delivery worker (attempts in flight finish). */
  close(): Promise<void>;
}

/** Test and embedding hooks; production uses the defaults. */
export interface WebhookDispatcherOptions {
  logger?: Logger;
  /** Resolves webhook host names (default: the system resolver, `dns.lookup`). */
  resolver?: HostResolver;
}

/** `Readur-Webhooks/<version>`, the version of this package. */
export function userAgent(): string {
  const manifest = path.join(__dirname, '..', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return `Readur-Webhooks/${version}`;
}

/**
 * Starts the dispatcher: migrates, syncs the operator's webhook, starts the delivery worker,
 * subscribes to every deliverable event, then serves `/api/webhooks` on `config.PORT`.
 */
export async function startWebhookDispatcher(
  config: WebhookConfig,
  options: WebhookDispatcherOptions = {},
): Promise<RunningWebhookDispatcher> {
  const logger = options.logger ?? createLogger(SERVICE, config.LOG_LEVEL);
  const metrics = createMetrics(SERVICE);
  const knex = createDatabase(config.DATABASE_URL);
  const cipher = createSecretCipher(config.WEBHOOK_ENCRYPTION_KEY);
  const resolver = options.resolver ?? systemResolver;
  const client = createEndpointClient(
    { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS },
    resolver,
  );
  const bus = createBus(config, { service: SERVICE, logger, metrics });
  const stops: Array<() => Promise<void>> = [
    () => knex.destroy(),
    () => Promise.resolve(client.close()),
  ];

  try {
    await migrate(knex);
    await syncGlobalWebhook(
      { knex, cipher, logger },
      { enabled: config.WEBHOOK_ENABLED, url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET },
    );

    const worker = startWorker(config, { knex, logger, metrics, client, cipher });
    stops.unshift(() => worker.stop());
    trackBacklog(metrics, knex);

    const maxAttempts = config.WEBHOOK_RETRY_ATTEMPTS;
    stops.unshift(() => bus.close());
    await bus.subscribe(
      eventSubscription({ knex, logger, maxAttempts, wake: () => worker.wake() }),
    );

    const deps: WebhookDeps = {
      knex,
      cipher,
      logger,
      resolver,
      wake: () => worker.wake(),
      settings: {
        maxAttempts,
        timeoutMs: config.WEBHOOK_TIMEOUT * 1000,
        allowHttp: config.WEBHOOK_ALLOW_HTTP,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
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
    app.use('/api/webhooks', requireUser(config.INTERNAL_API_TOKEN), webhookRoutes(deps));
    finishApp(app, logger);

    const server = await listen(app, config.PORT);
    stops.unshift(() => server.close());

    if (config.PROMETHEUS_ENABLED) {
      const metricsServer = await startMetricsServer(metrics, config.PROMETHEUS_PORT);
      stops.unshift(() => closeServer(metricsServer));
    }

    logger.info('webhook dispatcher listening', { port: server.port });
    return { port: server.port, close: () => runAll(stops) };
  } catch (error) {
    await runAll(stops).catch(() => undefined);
    throw error;
  }
}

function startWorker(
  config: WebhookConfig,
  deps: Omit<Parameters<typeof startDeliveryWorker>[0], 'settings'>,
): DeliveryWorker {
  return startDeliveryWorker({
    ...deps,
    settings: {
      timeoutMs: config.WEBHOOK_TIMEOUT * 1000,
      retry: {
        baseDelayMs: config.WEBHOOK_RETRY_BASE_DELAY_MS,
        maxDelayMs: config.WEBHOOK_RETRY_MAX_DELAY_MS,
      },
      concurrencyPerEndpoint: config.WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT,
      breakerThreshold: config.WEBHOOK_BREAKER_THRESHOLD,
      breakerCooldownMs: config.WEBHOOK_BREAKER_COOLDOWN_SECONDS * 1000,
      pollMs: config.WEBHOOK_POLL_INTERVAL_MS,
      userAgent: userAgent(),
    },
  });
}

/** `webhook_deliveries_pending`: deliveries not yet final, read at scrape time. */
function trackBacklog(metrics: Metrics, knex: Knex): void {
  metrics.gauge(
    'webhook_deliveries_pending',
    'Webhook deliveries waiting for an attempt or a retry',
    [],
    async (gauge) => gauge.set(await deliveryRepository.countPending(knex)),
  );
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

async function runAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop();
}
