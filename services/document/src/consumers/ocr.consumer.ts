import type { Knex } from 'knex';
import type { Outcome, Subscription } from '@readur/bus';
import { EVENT, type AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import type { Storage } from '@readur/storage';
import { handleEventOnce } from '../data/event.outbox';
import {
  applyOcrPageCompleted,
  applyOcrPageFailed,
  type OcrApplyDeps,
} from '../domain/ocr-job.usecases';
import {
  applyOcrCompleted,
  applyOcrFailed,
  applyOcrStarted,
  type OcrApplyResult,
} from '../domain/ocr.usecases';
import { applyOcrWorkerStarted } from '../domain/ocr-language.usecases';

/** The durable subscription name: the service name, never derived from code. */
export const SUBSCRIPTION_NAME = 'document';

type OcrEvent =
  | typeof EVENT.ocrStarted
  | typeof EVENT.ocrCompleted
  | typeof EVENT.ocrFailed
  | typeof EVENT.ocrWorkerStarted
  | typeof EVENT.ocrPageCompleted
  | typeof EVENT.ocrPageFailed;
type Apply = (
  trx: Knex.Transaction,
  envelope: AnyEnvelope,
  deps: OcrApplyDeps,
) => Promise<OcrApplyResult>;

/** One handler per consumed event; the switch-free table keeps each event's logic apart. */
const APPLY: Record<OcrEvent, Apply> = {
  [EVENT.ocrStarted]: (trx, envelope) =>
    applyOcrStarted(trx, envelope.data as Parameters<typeof applyOcrStarted>[1]),
  [EVENT.ocrCompleted]: (trx, envelope, deps) =>
    applyOcrCompleted(trx, envelope as Parameters<typeof applyOcrCompleted>[1], deps),
  [EVENT.ocrFailed]: (trx, envelope) =>
    applyOcrFailed(trx, envelope as Parameters<typeof applyOcrFailed>[1]),
  [EVENT.ocrWorkerStarted]: (trx, envelope, deps) =>
    applyOcrWorkerStarted(
      trx,
      envelope.data as Parameters<typeof applyOcrWorkerStarted>[1],
      deps.logger,
    ),
  [EVENT.ocrPageCompleted]: (trx, envelope, deps) =>
    applyOcrPageCompleted(trx, envelope as Parameters<typeof applyOcrPageCompleted>[1], deps),
  [EVENT.ocrPageFailed]: (trx, envelope) =>
    applyOcrPageFailed(trx, envelope as Parameters<typeof applyOcrPageFailed>[1]),
};

/** Every event this service consumes. Start-up fails if one had no handler. */
export const CONSUMED_EVENTS = Object.keys(APPLY) as OcrEvent[];

/** What the OCR consumer needs. */
export interface OcrConsumerDeps {
  knex: Knex;
  storage: Storage;
  logger: Logger;
  metrics?: Metrics | undefined;
}

/**
 * The `document` subscription: OCR progress and results, each applied once (inbox) in one
 * transaction. Events about deleted documents and duplicates are acknowledged as skipped.
 */
export function ocrSubscription(deps: OcrConsumerDeps): Subscription {
  const processed = deps.metrics?.counter(
    'documents_processed_total',
    'Documents whose OCR finished, by status',
    ['status'],
  );

  const handler = async (envelope: AnyEnvelope): Promise<Outcome> => {
    const apply = APPLY[envelope.event as OcrEvent] as Apply | undefined;
    if (!apply) return { kind: 'skipped', reason: `no handler for ${envelope.event}` };

    let result: OcrApplyResult = { applied: false, reason: 'duplicate event' };
    await handleEventOnce(deps.knex, SUBSCRIPTION_NAME, envelope, async (trx) => {
      result = await apply(trx, envelope, { storage: deps.storage, logger: deps.logger });
    });

    if (!result.applied) return { kind: 'skipped', reason: result.reason };
    record(deps, envelope, processed);
    return { kind: 'done' };
  };

  return { name: SUBSCRIPTION_NAME, events: CONSUMED_EVENTS, handler };
}

function record(
  deps: OcrConsumerDeps,
  envelope: AnyEnvelope,
  processed: ReturnType<Metrics['counter']> | undefined,
): void {
  if (envelope.event === EVENT.ocrWorkerStarted) {
    deps.logger.info('OCR worker languages recorded', {
      worker_id: envelope.data.worker_id,
      available_languages: envelope.data.available_languages,
    });
    return;
  }

  const documentId = (envelope.data as { document_id: string }).document_id;
  if (envelope.event === EVENT.ocrCompleted) {
    processed?.inc({ status: 'completed' });
    deps.logger.info('OCR completed', {
      document_id: documentId,
      processing_time_ms: envelope.data.processing_time_ms,
      pages: envelope.data.pages,
    });
  } else if (envelope.event === EVENT.ocrPageCompleted) {
    deps.logger.debug('OCR page recorded', { document_id: documentId, page: envelope.data.page });
  } else if (envelope.event === EVENT.ocrFailed || envelope.event === EVENT.ocrPageFailed) {
    processed?.inc({ status: 'failed' });
    deps.logger.info('OCR failed', { document_id: documentId, reason: envelope.data.reason });
  } else {
    deps.logger.debug('OCR started', { document_id: documentId });
  }
}
