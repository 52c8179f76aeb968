import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../domain/webhook.model';

const events = z
  .array(z.enum([...WEBHOOK_EVENTS, '*']))
  .min(1)
  .max(WEBHOOK_EVENTS.length + 1)
  .refine((list) => !list.includes('*') || list.length === 1, {
    message: 'use ["*"] alone for every event',
  })
  .transform((list) => [...new Set(list)]);

const url = z.url({ protocol: /^https?$/ }).max(2048);

/** `POST /api/webhooks`. */
export const createBodySchema = z.object({
  url,
  events,
  description: z.string().max(500).default(''),
  enabled: z.boolean().default(true),
});

/** `PATCH /api/webhooks/:id`: at least one field. */
export const patchBodySchema = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' });

/** `GET /api/webhooks/:id/deliveries`. */
export const deliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(['pending', 'succeeded', 'dead']).optional(),
});
