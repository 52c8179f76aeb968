import { Router, type Request } from 'express';
import { parseInput } from '@readur/http';
import { listDeliveries, redeliver } from '../domain/delivery.usecases';
import type { WebhookDeps } from '../domain/webhook.deps';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  pingWebhook,
  rotateSecret,
  updateWebhook,
} from '../domain/webhook.usecases';
import { presentDelivery, presentWebhook } from './webhook.presenter';
import { createBodySchema, deliveriesQuerySchema, patchBodySchema } from './webhook.schemas';
import { callerOf } from './trust.middleware';

const idOf = (req: Request): string => String(req.params.id);

/** `/api/webhooks`: subscriptions, their secrets, pings and the delivery log. */
export function webhookRoutes(deps: WebhookDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parseInput(createBodySchema, req.body);
    const { webhook, secret } = await createWebhook(deps, callerOf(req), body);
    res.status(201).json({ ...presentWebhook(webhook), secret });
  });

  router.get('/', async (req, res) => {
    const webhooks = await listWebhooks(deps, callerOf(req));
    res.json({ webhooks: webhooks.map(presentWebhook) });
  });

  router.get('/:id', async (req, res) => {
    res.json(presentWebhook(await getWebhook(deps, callerOf(req), idOf(req))));
  });

  router.patch('/:id', async (req, res) => {
    const changes = parseInput(patchBodySchema, req.body);
    res.json(presentWebhook(await updateWebhook(deps, callerOf(req), idOf(req), changes)));
  });

  router.delete('/:id', async (req, res) => {
    await deleteWebhook(deps, callerOf(req), idOf(req));
    res.status(204).end();
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const { webhook, secret } = await rotateSecret(deps, callerOf(req), idOf(req));
    res.json({ ...presentWebhook(webhook), secret });
  });

  router.post('/:id/ping', async (req, res) => {
    res.json(presentDelivery(await pingWebhook(deps, callerOf(req), idOf(req))));
  });

  router.get('/:id/deliveries', async (req, res) => {
    const query = parseInput(deliveriesQuerySchema, req.query);
    const page = await listDeliveries(deps, callerOf(req), idOf(req), query);
    res.json({
      deliveries: page.items.map((item) => presentDelivery(item.delivery, item.attempts)),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    });
  });

  router.post('/:id/deliveries/:delivery_id/redeliver', async (req, res) => {
    const deliveryId = String(req.params.delivery_id);
    const delivery = await redeliver(deps, callerOf(req), idOf(req), deliveryId);
    res.status(202).json(presentDelivery(delivery));
  });

  return router;
}
