import { createBus } from '@readur/bus';
import { randomUUID } from 'node:crypto';
import { createEnvelope, EVENT } from '@readur/contracts';
import { createApp, finishApp, listen, onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { createMetrics, startMetricsServer } from '@readur/metrics';
import { loadOcrWorkerConfig, ocrWorkerConfigHelp, type OcrWorkerConfig } from './config';
import { createDocumentCreatedConsumer } from './consumers/document-created.consumer';
import { ocrRetryPolicy } from './consumers/ocr.failure';
import { createPageRequestedConsumer } from './consumers/page-requested.consumer';
import { DocumentClient } from './data/document.client';
import { DocumentFileCache } from './data/file.cache';
import { Extractor } from './domain';

/** The subscription name: the durable queue / consumer group shared by every replica. */
export const OCR_SUBSCRIPTION = 'ocr-worker';
/** The page jobs of split documents: a second queue shared by every replica. */
export const OCR_PAGE_SUBSCRIPTION = 'ocr-worker.pages';

/** A running worker. */
export interface RunningOcrWorker {
  port: number;
  close(): Promise<void>;
}

/** Starts one ocr-worker replica: an OCR engine pool, the consumer, and a health endpoint. */
export async function startOcrWorker(config: OcrWorkerConfig): Promise<RunningOcrWorker> {
  const logger = createLogger('ocr-worker', config.LOG_LEVEL);
  const metrics = createMetrics('ocr-worker');
  const extractor = new Extractor({
    languages: config.OCR_LANGUAGES,
    langPath: config.OCR_LANG_PATH,
    concurrency: config.OCR_CONCURRENCY,
    maxImagePixels: config.OCR_MAX_IMAGE_PIXELS,
    workerTimeoutMs: config.OCR_TIMEOUT_SECONDS * 1000,
    pdfPasswords: config.OCR_PDF_PASSWORDS,
    engine: config.OCR_ENGINE,
  });
  const documents = new DocumentClient(config.DOCUMENT_SERVICE_URL, config.INTERNAL_API_TOKEN);
  const files = new DocumentFileCache(documents, config.OCR_FILE_CACHE_MB);
  // A replica takes no more messages than it has engines, so idle replicas get the rest.
  const prefetch = Math.min(config.AMQP_PREFETCH, config.OCR_CONCURRENCY);
  const bus = createBus(
    { ...config, AMQP_PREFETCH: prefetch },
    { service: 'ocr-worker', logger, metrics },
  );
  const retry = ocrRetryPolicy(config.OCR_MAX_ATTEMPTS, config.OCR_RETRY_DELAY_MS);
  const shared = { bus, documents, files, extractor, logger, metrics };

  await bus.subscribe({
    name: OCR_SUBSCRIPTION,
    events: [EVENT.documentCreated, EVENT.ocrRequested],
    handler: createDocumentCreatedConsumer({
      ...shared,
      languages: extractor.defaultLanguages,
      maxAttempts: config.OCR_MAX_ATTEMPTS,
    }),
    retry,
  });
  await bus.subscribe({
    name: OCR_PAGE_SUBSCRIPTION,
    events: [EVENT.ocrPageRequested],
    handler: createPageRequestedConsumer({ ...shared, maxAttempts: config.OCR_MAX_ATTEMPTS }),
    retry,
  });

  // Tells the document service which languages uploads may ask for.
  await bus.publish(
    createEnvelope(EVENT.ocrWorkerStarted, {
      worker_id: randomUUID(),
      default_languages: extractor.defaultLanguages,
      available_languages: extractor.availableLanguages,
      started_at: new Date().toISOString(),
    }),
  );

  const app = createApp({
    service: 'ocr-worker',
    logger,
    metrics,
    readiness: { broker: () => bus.check(), document_service: () => documents.check() },
  });
  const server = await listen(finishApp(app, logger), config.PORT);
  const metricsServer = config.PROMETHEUS_ENABLED
    ? await startMetricsServer(metrics, config.PROMETHEUS_PORT)
    : undefined;
  logger.info('ocr-worker started', {
    port: server.port,
    languages: extractor.defaultLanguages,
    available_languages: extractor.availableLanguages,
    concurrency: config.OCR_CONCURRENCY,
    engine: config.OCR_ENGINE,
  });

  const close = async () => {
    await bus.close();
    await extractor.close();
    await server.close();
    await new Promise((resolve) =>
      metricsServer ? metricsServer.close(resolve) : resolve(undefined),
    );
  };
  return { port: server.port, close };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(ocrWorkerConfigHelp());
    return;
  }
  const config = loadOcrWorkerConfig();
  const worker = await startOcrWorker(config);
  const logger = createLogger('ocr-worker', config.LOG_LEVEL);
  onShutdownSignal(logger, () => worker.close());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`ocr-worker: ${(error as Error).message}`);
    process.exit(1);
  });
}
