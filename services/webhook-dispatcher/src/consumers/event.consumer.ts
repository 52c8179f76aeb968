import type { Knex } from 'knex';
import type { Outcome, Subscription } from '@readur/bus';
import type { AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import { handleEventOnce } from '../data/event.inbox';
import { queueDeliveries } from '../domain/event.dispatch';
import { WEBHOOK_EVENTS } from '../domain/webhook.model';

/** The durable subscription name: the service name, never derived from code. */
export const SUBSCRIPTION_NAME = 'webhook-dispatcher';

/** What the event consumer needs. */
export interface EventConsumerDeps {
  knex: Knex;
  logger: Logger;
  maxAttempts: number;
  /** Wakes the delivery worker once deliveries were committed. */
  wake(): void;
}

/**
 * The `webhook-dispatcher` subscription: each event becomes pending deliveries in the same
 * transaction that records it in the inbox, and the message is acknowledged. No HTTP happens
 * here: the delivery worker posts from the table, so a slow endpoint never holds a message.
 */
export function eventSubscription(deps: EventConsumerDeps): Subscription {
  const handler = async (envelope: AnyEnvelope): Promise<Outcome> => {
    let queued = 0;
    const fresh = await handleEventOnce(deps.knex, SUBSCRIPTION_NAME, envelope, async (trx) => {
      queued = await queueDeliveries(trx, envelope, deps.maxAttempts);
    });
    if (!fresh) return { kind: 'skipped', reason: 'duplicate event' };

    if (queued > 0) deps.wake();
    deps.logger.debug('webhook deliveries queued', {
      event: envelope.event,
      event_id: envelope.id,
      deliveries: queued,
    });
    return { kind: 'done' };
  };

  return { name: SUBSCRIPTION_NAME, events: [...WEBHOOK_EVENTS], handler };
}
