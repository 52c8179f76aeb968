import { EVENT, createEnvelope, deriveEventId, type AnyEnvelope } from '@readur/contracts';
import type { Bus, Delivery, Outcome } from '@readur/bus';
import type { Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import type { DocumentClient } from '../data/document.client';
import type { DocumentFileCache } from '../data/file.cache';
import type { ExtractedPage, ExtractionInput, ExtractionResult, Extractor } from '../domain';
import { countWords } from '../domain/text.normaliser';
import { classifyFailure } from './ocr.failure';
import { ocrJobOf, type OcrJob } from './ocr.job';

/** What the consumer needs; each dependency is named, nothing is injected wholesale. */
export interface OcrConsumerDeps {
  bus: Bus;
  documents: DocumentClient;
  files: DocumentFileCache;
  extractor: Extractor;
  logger: Logger;
  metrics: Metrics;
  languages: string;
  maxAttempts: number;
}

const round = (value: number) => Math.round(value * 100) / 100;

function completed(job: OcrJob, result: ExtractionResult, elapsedMs: number, language: string) {
  return createEnvelope(
    EVENT.ocrCompleted,
    {
      document_id: job.documentId,
      user_id: job.userId,
      title: job.title,
      pages: result.pageCount,
      confidence: round(result.confidence),
      word_count: result.wordCount,
      processing_time_ms: Math.round(elapsedMs),
      language,
      page_results: result.pages.map(({ page, text, confidence, method }) => ({
        page,
        text,
        confidence: round(confidence),
        method,
      })),
      job_id: job.jobId,
    },
    { id: deriveEventId(job.causeId, EVENT.ocrCompleted), correlationId: job.correlationId },
  );
}

/** Page events of a split document derive their ids from the job and the page number. */
function pageCause(job: OcrJob, page: number): string {
  return `${job.causeId}/page/${page}`;
}

/**
 * Handles `document.created` and `ocr.requested`: fetch the file, then either extract it
 * whole here (images, text, PDFs with at most one page to OCR) and publish `ocr.completed`,
 * or split it: publish the good text-layer pages as `ocr.page.completed` at once and one
 * `ocr.page.requested` per page that needs OCR, for any replica to take. `ocr.failed` follows
 * once the input is known bad or the attempts are used up. Event ids derive from the cause,
 * so a message handled twice after a crash publishes the same ids and has one effect.
 */
export function createDocumentCreatedConsumer(deps: OcrConsumerDeps) {
  const { bus, documents, files, extractor, logger, metrics } = deps;
  const outcomes = metrics.counter('ocr_documents_total', 'Documents the OCR worker finished', [
    'outcome',
  ]);
  const seconds = metrics.histogram(
    'ocr_document_duration_seconds',
    'Time to extract a document in one piece',
    [],
    [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  );
  const pagesDone = metrics.counter('ocr_pages_processed_total', 'Pages the OCR worker finished');
  const failures = metrics.counter('ocr_failures_total', 'Final OCR failures, by reason', [
    'reason',
    'scope',
  ]);

  const publishFailed = async (
    job: OcrJob,
    reason: ReturnType<typeof classifyFailure>,
    n: number,
  ) => {
    await bus.publish(
      createEnvelope(
        EVENT.ocrFailed,
        {
          document_id: job.documentId,
          user_id: job.userId,
          title: job.title,
          reason: reason.reason,
          error: reason.message,
          attempts: n,
          job_id: job.jobId,
        },
        { id: deriveEventId(job.causeId, EVENT.ocrFailed), correlationId: job.correlationId },
      ),
    );
    outcomes.inc({ outcome: 'failed' });
    failures.inc({ reason: reason.reason, scope: 'document' });
    logger.warn('ocr failed', {
      document_id: job.documentId,
      reason: reason.reason,
      error: reason.message,
      attempts: n,
    });
  };

  const publishStarted = (job: OcrJob, attempt: number, pageCount?: number) =>
    bus.publish(
      createEnvelope(
        EVENT.ocrStarted,
        {
          document_id: job.documentId,
          user_id: job.userId,
          attempt,
          job_id: job.jobId,
          ...(pageCount ? { page_count: pageCount } : {}),
        },
        {
          id: deriveEventId(`${job.causeId}/${attempt}`, EVENT.ocrStarted),
          correlationId: job.correlationId,
        },
      ),
    );

  /** Stores each OCRed page's PDF for the archive, then the thumbnail; both before the result. */
  const storeOutputs = async (job: OcrJob, input: ExtractionInput, pages: ExtractedPage[]) => {
    for (const page of pages) {
      if (!page.pdf) continue;
      await documents.putArchivePage(
        job.documentId,
        job.jobId,
        page.page,
        page.pdf,
        job.correlationId,
      );
    }
    const thumbnail = await extractor.thumbnail(input, pages[0]?.rotation ?? 0);
    if (thumbnail) await documents.putThumbnail(job.documentId, thumbnail, job.correlationId);
  };

  const extractWhole = async (job: OcrJob, input: ExtractionInput, language: string) => {
    const started = performance.now();
    const result = await extractor.extract(input, {
      languages: language,
      archive: true,
      onProgress: ({ page, pages }) => {
        pagesDone.inc();
        logger.info('ocr progress', { document_id: job.documentId, page, pages });
      },
    });
    const elapsed = performance.now() - started;

    await storeOutputs(job, input, result.pages);
    await bus.publish(completed(job, result, elapsed, language));
    seconds.observe(elapsed / 1000);
    outcomes.inc({ outcome: 'completed' });
    logger.info('ocr completed', {
      document_id: job.documentId,
      pages: result.pageCount,
      words: result.wordCount,
      processing_time_ms: Math.round(elapsed),
    });
  };

  const split = async (
    job: OcrJob,
    input: ExtractionInput,
    language: string,
    plan: { pageCount: number; textPages: ExtractedPage[]; ocrPages: number[] },
  ) => {
    const ref = { document_id: job.documentId, user_id: job.userId, job_id: job.jobId };
    const options = (page: number, event: Parameters<typeof deriveEventId>[1]) => ({
      id: deriveEventId(pageCause(job, page), event),
      correlationId: job.correlationId,
    });

    if (plan.textPages[0]?.page === 1) await storeOutputs(job, input, []);
    for (const page of plan.textPages) {
      const data = {
        ...ref,
        page: page.page,
        page_count: plan.pageCount,
        text: page.text,
        confidence: page.confidence,
        method: page.method,
        word_count: countWords(page.text),
        language,
        processing_time_ms: 0,
        archive_page: false,
      };
      await bus.publish(
        createEnvelope(EVENT.ocrPageCompleted, data, options(page.page, EVENT.ocrPageCompleted)),
      );
    }
    for (const page of plan.ocrPages) {
      const data = {
        ...ref,
        page,
        page_count: plan.pageCount,
        title: job.title,
        filename: job.filename,
        mime_type: job.mimeType,
        languages: language,
      };
      await bus.publish(
        createEnvelope(EVENT.ocrPageRequested, data, options(page, EVENT.ocrPageRequested)),
      );
    }
    logger.info('ocr split into pages', {
      document_id: job.documentId,
      pages: plan.pageCount,
      ocr_pages: plan.ocrPages.length,
    });
  };

  return async (envelope: AnyEnvelope, delivery: Delivery): Promise<Outcome> => {
    const job = ocrJobOf(envelope);
    if (!job) return { kind: 'skipped', reason: 'not handled' };
    const language = job.languages ?? deps.languages;

    try {
      const bytes = await files.get(job);
      if (!bytes) return { kind: 'skipped', reason: 'document no longer exists' };
      const input = { bytes, mimeType: job.mimeType, filename: job.filename };

      const plan = await extractor.plan(input);
      await publishStarted(
        job,
        delivery.attempt,
        plan.kind === 'split' ? plan.pageCount : undefined,
      );
      if (plan.kind === 'split') await split(job, input, language, plan);
      else await extractWhole(job, input, language);
      return { kind: 'done' };
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.retry && delivery.attempt < deps.maxAttempts) {
        logger.warn('ocr attempt failed; will retry', {
          document_id: job.documentId,
          reason: failure.reason,
          attempt: delivery.attempt,
          error,
        });
        return { kind: 'retry', reason: failure.reason };
      }

      await publishFailed(job, failure, delivery.attempt);
      return failure.reason === 'internal'
        ? { kind: 'dead-letter', reason: failure.message }
        : { kind: 'done' };
    }
  };
}
