import {
  EVENT,
  createEnvelope,
  deriveEventId,
  type AnyEnvelope,
  type Envelope,
  type OcrFailureReason,
} from '@readur/contracts';
import type { Bus, Delivery, Outcome } from '@readur/bus';
import type { Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import type { DocumentClient } from '../data/document.client';
import { isExtractionError, type ExtractionResult, type Extractor } from '../domain';

/** What the consumer needs; each dependency is named, nothing is injected wholesale. */
export interface OcrConsumerDeps {
  bus: Bus;
  documents: DocumentClient;
  extractor: Extractor;
  logger: Logger;
  metrics: Metrics;
  languages: string;
  maxAttempts: number;
}

type Created = Envelope<'document.created'>;

/** Failures worth another attempt: the input may be fine, the moment was not. */
const RETRYABLE_REASONS = new Set<OcrFailureReason>(['timeout']);

function failure(error: unknown): { reason: OcrFailureReason; message: string; retry: boolean } {
  if (isExtractionError(error)) {
    return {
      reason: error.reason,
      message: error.message,
      retry: RETRYABLE_REASONS.has(error.reason),
    };
  }
  const code = (error as { code?: string }).code;
  if (code === 'STORAGE_UNAVAILABLE') {
    return { reason: 'storage_unavailable', message: (error as Error).message, retry: true };
  }
  return { reason: 'internal', message: 'unexpected error while extracting text', retry: true };
}

function completed(source: Created, result: ExtractionResult, elapsedMs: number, language: string) {
  return createEnvelope(
    EVENT.ocrCompleted,
    {
      document_id: source.data.document_id,
      user_id: source.data.user_id,
      title: source.data.title,
      pages: result.pageCount,
      confidence: Math.round(result.confidence * 100) / 100,
      word_count: result.wordCount,
      processing_time_ms: Math.round(elapsedMs),
      language,
      page_results: result.pages.map(({ page, text, confidence, method }) => ({
        page,
        text,
        confidence: Math.round(confidence * 100) / 100,
        method,
      })),
    },
    { id: deriveEventId(source.id, EVENT.ocrCompleted), correlationId: source.correlation_id },
  );
}

/**
 * Handles `document.created`: fetch the file, extract its text, publish `ocr.completed`,
 * or `ocr.failed` with a reason once the input is known bad or the attempts are used up.
 * Event ids derive from the cause, so a message handled twice after a crash publishes the
 * same ids and has one effect downstream.
 */
export function createDocumentCreatedConsumer(deps: OcrConsumerDeps) {
  const { bus, documents, extractor, logger, metrics } = deps;
  const outcomes = metrics.counter('ocr_documents_total', 'Documents the OCR worker finished', [
    'outcome',
  ]);
  const seconds = metrics.histogram(
    'ocr_document_duration_seconds',
    'Time to extract a document',
    [],
    [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  );
  const pagesDone = metrics.counter('ocr_pages_processed_total', 'Pages the OCR worker finished');

  const publishFailed = async (
    source: Created,
    reason: OcrFailureReason,
    error: string,
    attempts: number,
  ) => {
    const { document_id, user_id, title } = source.data;
    await bus.publish(
      createEnvelope(
        EVENT.ocrFailed,
        { document_id, user_id, title, reason, error, attempts },
        { id: deriveEventId(source.id, EVENT.ocrFailed), correlationId: source.correlation_id },
      ),
    );
    outcomes.inc({ outcome: 'failed' });
    logger.warn('ocr failed', { document_id, reason, attempts });
  };

  return async (envelope: AnyEnvelope, delivery: Delivery): Promise<Outcome> => {
    if (envelope.event !== EVENT.documentCreated) return { kind: 'skipped', reason: 'not handled' };
    const source = envelope;
    const { document_id, user_id, mime_type, filename } = source.data;
    const language = source.data.ocr_languages ?? deps.languages;

    try {
      const bytes = await documents.fetchFile(document_id, source.correlation_id);
      if (!bytes) return { kind: 'skipped', reason: 'document no longer exists' };

      await bus.publish(
        createEnvelope(
          EVENT.ocrStarted,
          { document_id, user_id, attempt: delivery.attempt },
          {
            id: deriveEventId(`${source.id}/${delivery.attempt}`, EVENT.ocrStarted),
            correlationId: source.correlation_id,
          },
        ),
      );

      const started = performance.now();
      const result = await extractor.extract(
        { bytes, mimeType: mime_type, filename },
        {
          languages: language,
          onProgress: ({ page, pages }) => {
            pagesDone.inc();
            logger.info('ocr progress', {
              document_id,
              page,
              pages,
              progress: `page ${page}/${pages}`,
            });
          },
        },
      );
      const elapsed = performance.now() - started;

      await bus.publish(completed(source, result, elapsed, language));
      seconds.observe(elapsed / 1000);
      outcomes.inc({ outcome: 'completed' });
      logger.info('ocr completed', {
        document_id,
        pages: result.pageCount,
        words: result.wordCount,
        processing_time_ms: Math.round(elapsed),
      });
      return { kind: 'done' };
    } catch (error) {
      const { reason, message, retry } = failure(error);
      if (retry && delivery.attempt < deps.maxAttempts) {
        logger.warn('ocr attempt failed; will retry', {
          document_id,
          reason,
          attempt: delivery.attempt,
          error,
        });
        return { kind: 'retry', reason };
      }

      await publishFailed(source, reason, message, delivery.attempt);
      return reason === 'internal' ? { kind: 'dead-letter', reason: message } : { kind: 'done' };
    }
  };
}
