import { decodeEnvelope, type AnyEnvelope } from '@readur/contracts';
import { runWithContext, type Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import type { Outcome, RetryPolicy, Subscription, Transport } from './bus.types';
import { backoffFor, DEFAULT_RETRY } from './retry.policy';

/** What a transport must do with a message once its handler ran. */
export type Verdict =
  | { kind: 'ack'; outcome: 'done' | 'skipped' }
  | { kind: 'retry'; reason: string; delayMs: number; nextAttempt: number }
  | { kind: 'dead-letter'; reason: string };

/** The transport-independent part of consuming: shared by RabbitMQ and Kafka. */
export interface ConsumeContext {
  subscription: Subscription;
  transport: Transport;
  logger: Logger;
  metrics?: Metrics | undefined;
}

/** Header names shared by both transports. */
export const HEADER = {
  event: 'x-event',
  correlationId: 'x-correlation-id',
  attempt: 'x-attempt',
  deadLetterReason: 'x-dead-letter-reason',
  subscription: 'x-subscription',
} as const;

/** The retry policy of a subscription, defaults filled in. */
export function retryPolicyOf(subscription: Subscription): RetryPolicy {
  return subscription.retry ?? DEFAULT_RETRY;
}

/**
 * Validates one message, runs the handler inside the message's correlation context and turns
 * what happened into a verdict. Never throws.
 */
export async function consumeMessage(
  context: ConsumeContext,
  body: Buffer,
  attempt: number,
  correlationHeader?: string,
): Promise<Verdict> {
  const parsed = decodeEnvelope(body);
  if (!parsed.ok) {
    return runWithContext({ correlation_id: correlationHeader }, () =>
      rejectInvalid(context, parsed.error, parsed.event),
    );
  }

  const { envelope } = parsed;
  return runWithContext({ correlation_id: envelope.correlation_id }, async () => {
    const outcome = await runHandler(context, envelope, attempt);
    const verdict = decide(context, outcome, attempt);
    record(context, envelope, verdict);
    return verdict;
  });
}

function rejectInvalid(context: ConsumeContext, error: string, event?: string): Verdict {
  const { subscription, transport, logger, metrics } = context;
  logger.error('bus message rejected as invalid', {
    subscription: subscription.name,
    transport,
    event,
    validation_error: error,
  });
  metrics?.busConsumed.inc({ event: event ?? 'invalid', outcome: 'dead-letter', transport });
  return { kind: 'dead-letter', reason: error };
}

async function runHandler(
  context: ConsumeContext,
  envelope: AnyEnvelope,
  attempt: number,
): Promise<Outcome> {
  const { subscription, transport, logger } = context;
  if (!subscription.events.includes(envelope.event)) {
    return { kind: 'skipped', reason: `not subscribed to ${envelope.event}` };
  }

  try {
    return (await subscription.handler(envelope, { attempt, transport })) ?? { kind: 'done' };
  } catch (error) {
    logger.warn('bus handler threw', {
      subscription: subscription.name,
      event: envelope.event,
      event_id: envelope.id,
      attempt,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
}

function decide(context: ConsumeContext, outcome: Outcome, attempt: number): Verdict {
  switch (outcome.kind) {
    case 'done':
    case 'skipped':
      return { kind: 'ack', outcome: outcome.kind };
    case 'dead-letter':
      return { kind: 'dead-letter', reason: outcome.reason };
    case 'retry': {
      const policy = retryPolicyOf(context.subscription);
      if (attempt >= policy.maxAttempts) {
        return {
          kind: 'dead-letter',
          reason: `gave up after ${attempt} attempts: ${outcome.reason}`,
        };
      }
      const delayMs = backoffFor(policy, attempt);
      return { kind: 'retry', reason: outcome.reason, delayMs, nextAttempt: attempt + 1 };
    }
  }
}

function record(context: ConsumeContext, envelope: AnyEnvelope, verdict: Verdict): void {
  const { subscription, transport, logger, metrics } = context;
  const outcome = verdict.kind === 'ack' ? verdict.outcome : verdict.kind;
  metrics?.busConsumed.inc({ event: envelope.event, outcome, transport });

  const fields = {
    subscription: subscription.name,
    transport,
    event: envelope.event,
    event_id: envelope.id,
    outcome,
  };
  if (verdict.kind === 'dead-letter') {
    logger.error('bus message dead-lettered', { ...fields, reason: verdict.reason });
  } else if (verdict.kind === 'retry') {
    logger.warn('bus message will be retried', { ...fields, delay_ms: verdict.delayMs });
  } else {
    logger.debug('bus message consumed', fields);
  }
}

/** Resolves after `ms`; used for backoff. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `task`, or `error()` once `ms` passed first; the timer never outlives the race. */
export async function withTimeout<T>(task: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([task, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Tracks handler runs in flight so `close()` can wait for them. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `task`, remembering it until it settles. */
  track<T>(task: Promise<T>): Promise<T> {
    this.running.add(task);
    const forget = () => this.running.delete(task);
    task.then(forget, forget);
    return task;
  }

  /** Resolves once every tracked task settled. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
