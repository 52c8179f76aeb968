import type { Knex } from 'knex';
import { toWebhookBody, type AnyEnvelope } from '@readur/contracts';
import { deliveryRepository } from '../data/delivery.repository';
import { webhookRepository } from '../data/webhook.repository';
import { newDeliveryId } from './webhook.id';

/** `user.*` events are about accounts: only admins' webhooks and the operator's get them. */
export const isUserEvent = (event: string): boolean => event.startsWith('user.');

/**
 * Turns one event into one pending delivery per matching webhook, inside the caller's
 * transaction (the consumer's inbox transaction), and returns how many were queued. Each body
 * is built once here, so every retry sends and signs the same bytes.
 */
export async function queueDeliveries(
  trx: Knex.Transaction,
  envelope: AnyEnvelope,
  maxAttempts: number,
): Promise<number> {
  const subject = (envelope.data as { user_id?: string }).user_id;
  const webhooks = await webhookRepository.matching(
    trx,
    envelope.event,
    subject,
    isUserEvent(envelope.event),
  );

  return deliveryRepository.insertMany(
    trx,
    webhooks.map((webhook) => ({
      id: newDeliveryId(),
      webhookId: webhook.id,
      eventId: envelope.id,
      event: envelope.event,
      correlationId: envelope.correlation_id,
      body: JSON.stringify(toWebhookBody(envelope, webhook.id)),
      maxAttempts,
    })),
  );
}
