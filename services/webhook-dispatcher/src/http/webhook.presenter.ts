import type { DeliveryWithAttempts } from '../domain/delivery.usecases';
import type { Delivery, Webhook } from '../domain/webhook.model';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The public JSON of a webhook; the secret never appears here. */
export function presentWebhook(webhook: Webhook) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    enabled: webhook.enabled,
    user_id: webhook.userId,
    global: webhook.ownerRole === 'operator',
    created_at: iso(webhook.createdAt),
    updated_at: iso(webhook.updatedAt),
  };
}

/** The public JSON of a delivery; `attempt_log` lists each try when known. */
export function presentDelivery(delivery: Delivery, attempts?: DeliveryWithAttempts['attempts']) {
  return {
    id: delivery.id,
    webhook_id: delivery.webhookId,
    event: delivery.event,
    event_id: delivery.eventId,
    status: delivery.status,
    attempts: delivery.attempts,
    max_attempts: delivery.maxAttempts,
    next_attempt_at: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: iso(delivery.createdAt),
    completed_at: iso(delivery.completedAt),
    ...(attempts
      ? {
          attempt_log: attempts.map((attempt) => ({
            attempt: attempt.attempt,
            at: iso(attempt.startedAt),
            status_code: attempt.statusCode,
            duration_ms: attempt.durationMs,
            error: attempt.error,
            outcome: attempt.outcome,
            next_retry_at: iso(attempt.nextRetryAt),
          })),
        }
      : {}),
  };
}
