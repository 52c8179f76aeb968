import type { Knex } from 'knex';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  bulkhead,
  circuitBreaker,
  handleWhenResult,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { runWithContext, type Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import { deliveryRepository, type ClaimedDelivery } from '../data/delivery.repository';
import { webhookRepository } from '../data/webhook.repository';
import type { EndpointClient } from '../data/endpoint.client';
import { signBody } from '../domain/delivery.signature';
import {
  decide,
  isTransient,
  type AttemptDecision,
  type AttemptResult,
  type RetrySettings,
} from '../domain/retry.policy';
import type { SecretCipher } from '../domain/secret.cipher';

/** How the worker delivers; from the service config. */
export interface DeliveryWorkerSettings {
  timeoutMs: number;
  retry: RetrySettings;
  concurrencyPerEndpoint: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  pollMs: number;
  userAgent: string;
}

/** What the worker needs. */
export interface DeliveryWorkerDeps {
  knex: Knex;
  logger: Logger;
  metrics?: Metrics | undefined;
  client: EndpointClient;
  cipher: SecretCipher;
  settings: DeliveryWorkerSettings;
}

/** A running delivery worker. */
export interface DeliveryWorker {
  /** Looks for due deliveries now (after new rows were committed, or a slot freed). */
  wake(): void;
  /** Stops claiming and waits for the attempts in flight. */
  stop(): Promise<void>;
}

/** One webhook's isolation: its own concurrency limit and circuit breaker. */
interface Endpoint {
  bulkhead: BulkheadPolicy;
  breaker: CircuitBreakerPolicy;
  /** Until when the breaker is known to be open (ms since epoch). */
  openUntil: number;
  inFlight: number;
}

const CLAIM_BATCH = 200;
/**
 * Longest time before the breaker of a deleted or disabled webhook (and its gauge series) is
 * dropped; a shorter breaker cooldown prunes that often.
 */
const PRUNE_EVERY_MS = 30_000;
const MAX_IN_FLIGHT = 512;
/** Extra lease beyond the attempt timeout, so a live attempt is never taken twice. */
const LEASE_MARGIN_MS = 5_000;

/**
 * Polls `webhook_deliveries` for due rows and posts them. Each webhook has a cockatiel
 * bulkhead (concurrency limit) and a consecutive-failure circuit breaker; a webhook with no
 * free slot or an open breaker is left out of the claim query, so its rows wait in the table
 * (not in memory) and other webhooks are never held up by it.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { knex, logger, settings } = deps;
  const endpoints = new Map<string, Endpoint>();
  const running = new Set<Promise<void>>();
  const counters = deliveryMetrics(deps.metrics);
  let stopped = false;
  let prunedAt = Date.now();
  let wakeUp: (() => void) | undefined;
  let woken = false;

  function endpointOf(webhookId: string): Endpoint {
    const endpoint = endpoints.get(webhookId);
    if (endpoint) return endpoint;

    const breaker = circuitBreaker(
      handleWhenResult((result) => isTransient(result as AttemptResult)),
      {
        halfOpenAfter: settings.breakerCooldownMs,
        breaker: new ConsecutiveBreaker(settings.breakerThreshold),
      },
    );
    const created: Endpoint = {
      bulkhead: bulkhead(settings.concurrencyPerEndpoint, 0),
      breaker,
      openUntil: 0,
      inFlight: 0,
    };
    breaker.onBreak(() => {
      created.openUntil = Date.now() + settings.breakerCooldownMs;
      counters.breakerOpened.inc();
      logger.warn('webhook circuit breaker opened', {
        webhook_id: webhookId,
        cooldown_ms: settings.breakerCooldownMs,
      });
    });
    breaker.onReset(() => logger.info('webhook circuit breaker closed', { webhook_id: webhookId }));
    // Half-open counts as open: the endpoint is not trusted again until a trial succeeded.
    const circuit = { webhook_id: webhookId };
    counters.circuitOpen.set(circuit, 0);
    breaker.onStateChange((state) =>
      counters.circuitOpen.set(circuit, state === CircuitState.Closed ? 0 : 1),
    );
    endpoints.set(webhookId, created);
    return created;
  }

  /** Free slots: the bulkhead's, or one trial request once an open breaker cooled down. */
  function freeSlots(webhookId: string): number {
    const endpoint = endpoints.get(webhookId);
    if (!endpoint) return settings.concurrencyPerEndpoint;
    if (endpoint.breaker.state === CircuitState.Closed) return endpoint.bulkhead.executionSlots;
    return Date.now() >= endpoint.openUntil && endpoint.inFlight === 0 ? 1 : 0;
  }

  /**
   * Forgets the endpoints of webhooks that were deleted or disabled, so an open breaker of a
   * webhook nobody delivers to any more does not report 1 until the dispatcher restarts.
   */
  async function pruneEndpoints(): Promise<void> {
    if (Date.now() - prunedAt < Math.min(PRUNE_EVERY_MS, settings.breakerCooldownMs)) return;
    prunedAt = Date.now();

    const known = [...endpoints.keys()];
    const enabled = new Set(await webhookRepository.enabledAmong(knex, known));
    for (const webhookId of known) {
      const endpoint = endpoints.get(webhookId);
      if (enabled.has(webhookId) || !endpoint || endpoint.inFlight > 0) continue;
      endpoints.delete(webhookId);
      counters.circuitOpen.remove({ webhook_id: webhookId });
    }
  }

  async function claimRound(): Promise<number> {
    const room = Math.min(CLAIM_BATCH, MAX_IN_FLIGHT - running.size);
    if (room <= 0) return 0;

    const excluded = [...endpoints.keys()].filter((id) => freeSlots(id) === 0);
    const claimed = await deliveryRepository.claimDue(knex, {
      limit: room,
      leaseMs: settings.timeoutMs + LEASE_MARGIN_MS,
      excludedWebhookIds: excluded,
      freeSlots,
    });
    for (const claim of claimed) track(attemptDelivery(claim));
    return claimed.length;
  }

  function track(task: Promise<void>): void {
    running.add(task);
    void task.finally(() => {
      running.delete(task);
      wake();
    });
  }

  async function attemptDelivery(claim: ClaimedDelivery): Promise<void> {
    const { delivery } = claim;
    const context = { correlation_id: delivery.correlationId ?? delivery.eventId };
    await runWithContext(context, async () => {
      const endpoint = endpointOf(delivery.webhookId);
      endpoint.inFlight += 1;
      try {
        await sendAndRecord(claim, endpoint);
      } catch (error) {
        await handleUnsent(claim, endpoint, error);
      } finally {
        endpoint.inFlight -= 1;
      }
    });
  }

  async function sendAndRecord(claim: ClaimedDelivery, endpoint: Endpoint): Promise<void> {
    const { delivery } = claim;
    const attempt = delivery.attempts + 1;
    const startedAt = new Date();
    const secret = deps.cipher.decrypt(claim.secretCiphertext, delivery.webhookId);

    const result = await endpoint.bulkhead.execute(() =>
      endpoint.breaker.execute(() =>
        deps.client.post({
          url: claim.url,
          body: delivery.body,
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': settings.userAgent,
            'X-Readur-Event': delivery.event,
            'X-Readur-Delivery': delivery.eventId,
            'X-Readur-Timestamp': String(Math.floor(Date.now() / 1000)),
            'X-Readur-Signature': signBody(delivery.body, secret),
          },
          timeoutMs: settings.timeoutMs,
          guarded: claim.ownerRole !== 'operator',
        }),
      ),
    );

    const decision = decide(result, attempt, delivery.maxAttempts, settings.retry);
    await record(claim, attempt, startedAt, result, decision);
  }

  async function record(
    claim: ClaimedDelivery,
    attempt: number,
    startedAt: Date,
    result: AttemptResult,
    decision: AttemptDecision,
  ): Promise<void> {
    const { delivery } = claim;
    const nextRetryAt = decision.kind === 'retry' ? new Date(Date.now() + decision.delayMs) : null;
    const statusCode = result.kind === 'response' ? result.status : null;
    const error = decision.kind === 'succeeded' ? null : decision.reason.slice(0, 1_000);
    await deliveryRepository.recordAttempt(knex, {
      deliveryId: delivery.id,
      attempt,
      startedAt,
      durationMs: result.durationMs,
      statusCode,
      error,
      outcome: decision.kind,
      nextRetryAt,
    });

    counters.attempts.inc({ outcome: decision.kind });
    counters.duration.observe({ outcome: decision.kind }, result.durationMs / 1000);
    const fields = {
      webhook_id: delivery.webhookId,
      delivery_id: delivery.id,
      event: delivery.event,
      event_id: delivery.eventId,
      attempt,
      status_code: statusCode,
      duration_ms: result.durationMs,
    };
    if (decision.kind === 'dead') logger.warn('webhook delivery dead', { ...fields, error });
    else if (decision.kind === 'retry') {
      logger.info('webhook delivery will be retried', {
        ...fields,
        error,
        next_retry_at: nextRetryAt,
      });
    } else logger.debug('webhook delivered', fields);
  }

  /** Nothing was sent: an open breaker or full bulkhead puts the row back, untouched. */
  async function handleUnsent(
    claim: ClaimedDelivery,
    endpoint: Endpoint,
    error: unknown,
  ): Promise<void> {
    const shortCircuited =
      error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError;
    if (!shortCircuited) {
      logger.error('webhook delivery failed unexpectedly; retried after its lease', {
        webhook_id: claim.delivery.webhookId,
        delivery_id: claim.delivery.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }

    counters.shortCircuited.inc();
    const dueAt = new Date(Math.max(endpoint.openUntil, Date.now() + 250));
    await deliveryRepository.release(knex, claim.delivery.id, dueAt);
  }

  async function sleepMs(): Promise<number> {
    const due = await deliveryRepository.nextDueAt(knex).catch(() => undefined);
    const wait = due ? due.getTime() - Date.now() : settings.pollMs;
    return wait > 0 ? Math.min(wait, settings.pollMs) : settings.pollMs;
  }

  function sleep(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });
  }

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      let claimed = 0;
      try {
        await pruneEndpoints();
        claimed = await claimRound();
      } catch (error) {
        logger.error('webhook delivery claim failed', { error: String(error) });
      }
      if (stopped) break;
      if (claimed === 0) await sleep(await sleepMs());
    }
  }

  const looping = loop();
  return {
    wake,
    async stop() {
      stopped = true;
      wake();
      await looping;
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

function deliveryMetrics(metrics: Metrics | undefined) {
  const noop = {
    inc: () => undefined,
    observe: () => undefined,
    set: () => undefined,
    remove: () => undefined,
  };
  if (!metrics) {
    return {
      attempts: noop,
      duration: noop,
      breakerOpened: noop,
      shortCircuited: noop,
      circuitOpen: noop,
    };
  }
  return {
    attempts: metrics.counter('webhook_delivery_attempts_total', 'Webhook attempts, by outcome', [
      'outcome',
    ]),
    duration: metrics.histogram(
      'webhook_delivery_duration_seconds',
      'Time of one webhook attempt',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    breakerOpened: metrics.counter(
      'webhook_breaker_opened_total',
      'Times a webhook circuit breaker opened',
    ),
    shortCircuited: metrics.counter(
      'webhook_short_circuited_total',
      'Claimed deliveries put back unsent because a breaker was open',
    ),
    circuitOpen: metrics.gauge(
      'webhook_endpoint_circuit_open',
      'Whether the circuit breaker of a webhook is open (1, half-open included) or closed (0)',
      ['webhook_id'],
    ),
  };
}
