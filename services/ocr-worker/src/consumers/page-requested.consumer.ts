import {
  EVENT,
  createEnvelope,
  deriveEventId,
  type AnyEnvelope,
  type Envelope,
} from '@readur/contracts';
import type { Bus, Delivery, Outcome } from '@readur/bus';
import type { Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import type { DocumentClient } from '../data/document.client';
import type { DocumentFileCache } from '../data/file.cache';
import type { ExtractedPage, Extractor } from '../domain';
import { countWords } from '../domain/text.normaliser';
import { classifyFailure, type Failure } from './ocr.failure';

/** What the page consumer needs. */
export interface PageConsumerDeps {
  bus: Bus;
  documents: DocumentClient;
  files: DocumentFileCache;
  extractor: Extractor;
  logger: Logger;
  metrics: Metrics;
  maxAttempts: number;
}

type PageRequested = Envelope<'ocr.page.requested'>;

function pageCompleted(source: PageRequested, page: ExtractedPage, elapsedMs: number) {
  const { document_id, user_id, job_id, page_count, languages } = source.data;
  return createEnvelope(
    EVENT.ocrPageCompleted,
    {
      document_id,
      user_id,
      job_id,
      page: page.page,
      page_count,
      text: page.text,
      confidence: Math.round(page.confidence * 100) / 100,
      method: page.method,
      word_count: countWords(page.text),
      language: languages,
      processing_time_ms: Math.round(elapsedMs),
      archive_page: page.pdf !== undefined,
    },
    { id: deriveEventId(source.id, EVENT.ocrPageCompleted), correlationId: source.correlation_id },
  );
}

function pageFailed(source: PageRequested, failure: Failure, attempts: number) {
  const { document_id, user_id, job_id, page, page_count } = source.data;
  return createEnvelope(
    EVENT.ocrPageFailed,
    {
      document_id,
      user_id,
      job_id,
      page,
      page_count,
      reason: failure.reason,
      error: failure.message,
      attempts,
    },
    { id: deriveEventId(source.id, EVENT.ocrPageFailed), correlationId: source.correlation_id },
  );
}

/**
 * Handles `ocr.page.requested`: one page of a split document, on whichever replica took it.
 * The page's searchable PDF (and the thumbnail, for page 1) go to the document service before
 * `ocr.page.completed` is published, so the document service never assembles without them.
 * A worker that dies mid-page leaves the message unacknowledged: the broker hands it to
 * another replica, and the derived event id makes a second completion a no-op downstream.
 * Failures are retried with backoff; the last attempt publishes `ocr.page.failed` and puts
 * the message on the dead-letter queue.
 */
export function createPageRequestedConsumer(deps: PageConsumerDeps) {
  const { bus, documents, files, extractor, logger, metrics } = deps;
  const pagesDone = metrics.counter('ocr_pages_processed_total', 'Pages the OCR worker finished');
  const pageSeconds = metrics.histogram(
    'ocr_page_duration_seconds',
    'Time to extract one page of a split document',
    [],
    [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  );
  const failures = metrics.counter('ocr_failures_total', 'Final OCR failures, by reason', [
    'reason',
    'scope',
  ]);

  const run = async (source: PageRequested): Promise<boolean> => {
    const { document_id, job_id, page, page_count, languages } = source.data;
    const correlationId = source.correlation_id;
    const bytes = await files.get({ documentId: document_id, jobId: job_id, correlationId });
    if (!bytes) return false;

    const input = { bytes, mimeType: source.data.mime_type, filename: source.data.filename };
    logger.info('ocr page started', { document_id, page, pages: page_count });
    const started = performance.now();
    const extracted = await extractor.extractPage(input, page, { languages, archive: true });
    const elapsed = performance.now() - started;

    if (extracted.pdf) {
      await documents.putArchivePage(document_id, job_id, page, extracted.pdf, correlationId);
    }
    if (page === 1) {
      const thumbnail = await extractor.thumbnail(input, extracted.rotation ?? 0);
      if (thumbnail) await documents.putThumbnail(document_id, thumbnail, correlationId);
    }
    await bus.publish(pageCompleted(source, extracted, elapsed));

    pagesDone.inc();
    pageSeconds.observe(elapsed / 1000);
    logger.info('ocr page completed', {
      document_id,
      page,
      pages: page_count,
      processing_time_ms: Math.round(elapsed),
    });
    return true;
  };

  return async (envelope: AnyEnvelope, delivery: Delivery): Promise<Outcome> => {
    if (envelope.event !== EVENT.ocrPageRequested)
      return { kind: 'skipped', reason: 'not handled' };

    try {
      const done = await run(envelope);
      return done ? { kind: 'done' } : { kind: 'skipped', reason: 'document no longer exists' };
    } catch (error) {
      const failure = classifyFailure(error);
      const { document_id, page } = envelope.data;
      if (failure.retry && delivery.attempt < deps.maxAttempts) {
        logger.warn('ocr page attempt failed; will retry', {
          document_id,
          page,
          reason: failure.reason,
          attempt: delivery.attempt,
          error,
        });
        return { kind: 'retry', reason: failure.reason };
      }

      await bus.publish(pageFailed(envelope, failure, delivery.attempt));
      failures.inc({ reason: failure.reason, scope: 'page' });
      logger.warn('ocr page failed', {
        document_id,
        page,
        reason: failure.reason,
        error: failure.message,
      });
      return failure.retry
        ? { kind: 'dead-letter', reason: `${failure.reason}: ${failure.message}` }
        : { kind: 'done' };
    }
  };
}
