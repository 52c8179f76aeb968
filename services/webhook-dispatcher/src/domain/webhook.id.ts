import { randomBytes } from 'node:crypto';

/** A new webhook id: `whk_` and 24 hex digits. */
export const newWebhookId = (): string => `whk_${randomBytes(12).toString('hex')}`;

/** A new delivery id: `dlv_` and 24 hex digits. */
export const newDeliveryId = (): string => `dlv_${randomBytes(12).toString('hex')}`;
