import { deliveryRepository } from '../data/delivery.repository';
import { getWebhook } from './webhook.usecases';
import type { WebhookDeps } from './webhook.deps';
import { deliveryInProgress, deliveryNotFound } from './webhook.errors';
import type { Caller, Delivery, DeliveryAttempt, DeliveryStatus } from './webhook.model';

/** A delivery with every attempt made so far. */
export interface DeliveryWithAttempts {
  delivery: Delivery;
  attempts: DeliveryAttempt[];
}

/** One page of a webhook's delivery log, newest first. */
export async function listDeliveries(
  deps: WebhookDeps,
  caller: Caller,
  webhookId: string,
  page: { limit: number; offset: number; status?: DeliveryStatus | undefined },
): Promise<{ items: DeliveryWithAttempts[]; total: number }> {
  await getWebhook(deps, caller, webhookId);

  const { items, total } = await deliveryRepository.list(deps.knex, webhookId, page);
  const attempts = await deliveryRepository.attemptsOf(
    deps.knex,
    items.map((delivery) => delivery.id),
  );
  return {
    items: items.map((delivery) => ({ delivery, attempts: attempts.get(delivery.id) ?? [] })),
    total,
  };
}

/**
 * Sends a finished (succeeded or dead) delivery again, with the same body and the same
 * `X-Readur-Delivery`, and a fresh budget of `WEBHOOK_RETRY_ATTEMPTS` tries.
 */
export async function redeliver(
  deps: WebhookDeps,
  caller: Caller,
  webhookId: string,
  deliveryId: string,
): Promise<Delivery> {
  await getWebhook(deps, caller, webhookId);
  const existing = await deliveryRepository.find(deps.knex, webhookId, deliveryId);
  if (!existing) throw deliveryNotFound();

  const delivery = await deliveryRepository.reschedule(
    deps.knex,
    webhookId,
    deliveryId,
    deps.settings.maxAttempts,
  );
  if (!delivery) throw deliveryInProgress();

  deps.wake();
  deps.logger.info('webhook delivery redelivered by hand', {
    webhook_id: webhookId,
    delivery_id: deliveryId,
    user_id: caller.userId,
  });
  return delivery;
}
