import { randomUUID } from 'node:crypto';
import { deliveryRepository } from '../data/delivery.repository';
import { webhookRepository, type Visibility } from '../data/webhook.repository';
import { generateSigningSecret } from './secret.cipher';
import type { WebhookDeps } from './webhook.deps';
import { operatorWebhook, webhookDisabled, webhookNotFound } from './webhook.errors';
import { newDeliveryId, newWebhookId } from './webhook.id';
import { PING_EVENT, type Caller, type Delivery, type Webhook } from './webhook.model';
import { assertWebhookUrl } from './webhook.url';

/** What a user may set on create. */
export interface WebhookInput {
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
}

/** A webhook with its plain secret: only right after create and rotate. */
export interface WebhookWithSecret {
  webhook: Webhook;
  secret: string;
}

/** Admins see every webhook; anyone else only their own. */
export const visibilityOf = (caller: Caller): Visibility =>
  caller.role === 'admin' ? 'all' : { userId: caller.userId };

/** The webhook if the caller may see it; 404 otherwise (also for other users' webhooks). */
export async function getWebhook(deps: WebhookDeps, caller: Caller, id: string): Promise<Webhook> {
  const webhook = await webhookRepository.find(deps.knex, id, visibilityOf(caller));
  if (!webhook) throw webhookNotFound();
  return webhook;
}

async function changeable(deps: WebhookDeps, caller: Caller, id: string): Promise<Webhook> {
  const webhook = await getWebhook(deps, caller, id);
  if (webhook.ownerRole === 'operator') throw operatorWebhook();
  return webhook;
}

/** Creates a webhook owned by the caller; the secret is returned once, stored encrypted. */
export async function createWebhook(
  deps: WebhookDeps,
  caller: Caller,
  input: WebhookInput,
): Promise<WebhookWithSecret> {
  const url = await assertWebhookUrl(input.url, deps.settings, deps.resolver);

  const id = newWebhookId();
  const secret = generateSigningSecret();
  const webhook = await webhookRepository.insert(deps.knex, {
    id,
    userId: caller.userId,
    ownerRole: caller.role,
    url,
    events: input.events,
    description: input.description,
    enabled: input.enabled,
    secretCiphertext: deps.cipher.encrypt(secret, id),
  });

  deps.logger.info('webhook created', { webhook_id: id, user_id: caller.userId });
  return { webhook, secret };
}

/** The caller's webhooks (every webhook for an admin). */
export function listWebhooks(deps: WebhookDeps, caller: Caller): Promise<Webhook[]> {
  return webhookRepository.list(deps.knex, visibilityOf(caller));
}

/**
 * Changes url, events, description or enabled. When the owner changes their webhook, the
 * role the gateway vouches for now is stored too (it decides who gets `user.*` events).
 */
export async function updateWebhook(
  deps: WebhookDeps,
  caller: Caller,
  id: string,
  changes: Partial<WebhookInput>,
): Promise<Webhook> {
  const webhook = await changeable(deps, caller, id);
  const url =
    changes.url === undefined
      ? undefined
      : await assertWebhookUrl(changes.url, deps.settings, deps.resolver);

  const updated = await webhookRepository.update(deps.knex, id, {
    ...changes,
    url,
    ...(webhook.userId === caller.userId ? { ownerRole: caller.role } : {}),
  });
  if (!updated) throw webhookNotFound();
  return updated;
}

/** Deletes a webhook and its delivery log. */
export async function deleteWebhook(deps: WebhookDeps, caller: Caller, id: string): Promise<void> {
  await changeable(deps, caller, id);
  await webhookRepository.remove(deps.knex, id);
  deps.logger.info('webhook deleted', { webhook_id: id, user_id: caller.userId });
}

/** Replaces the signing secret; the new one is returned once. Pending retries use it. */
export async function rotateSecret(
  deps: WebhookDeps,
  caller: Caller,
  id: string,
): Promise<WebhookWithSecret> {
  await changeable(deps, caller, id);

  const secret = generateSigningSecret();
  const webhook = await webhookRepository.update(deps.knex, id, {
    secretCiphertext: deps.cipher.encrypt(secret, id),
  });
  if (!webhook) throw webhookNotFound();

  deps.logger.info('webhook secret rotated', { webhook_id: id, user_id: caller.userId });
  return { webhook, secret };
}

/**
 * Queues a `webhook.ping` for one webhook (one attempt, signed like any delivery) and waits
 * until it ended, for at most the attempt timeout and a little more.
 */
export async function pingWebhook(
  deps: WebhookDeps,
  caller: Caller,
  id: string,
): Promise<Delivery> {
  const webhook = await getWebhook(deps, caller, id);
  if (!webhook.enabled) throw webhookDisabled();

  const eventId = randomUUID();
  const deliveryId = newDeliveryId();
  const body = JSON.stringify({
    event: PING_EVENT,
    timestamp: new Date().toISOString(),
    webhook_id: webhook.id,
    data: { webhook_id: webhook.id, events: webhook.events, url: webhook.url },
  });
  await deliveryRepository.insertMany(deps.knex, [
    {
      id: deliveryId,
      webhookId: webhook.id,
      eventId,
      event: PING_EVENT,
      correlationId: caller.correlationId ?? eventId,
      body,
      maxAttempts: 1,
    },
  ]);
  deps.wake();

  return waitUntilFinal(deps, deliveryId, deps.settings.timeoutMs + 5_000);
}

async function waitUntilFinal(
  deps: WebhookDeps,
  deliveryId: string,
  timeoutMs: number,
): Promise<Delivery> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivery = await deliveryRepository.findById(deps.knex, deliveryId);
    if (!delivery) throw webhookNotFound();
    if (delivery.status !== 'pending' || Date.now() >= deadline) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
