import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import { webhookRepository } from '../data/webhook.repository';
import type { SecretCipher } from './secret.cipher';
import { GLOBAL_WEBHOOK_ID } from './webhook.model';

/** The operator's webhook from `WEBHOOK_ENABLED`, `WEBHOOK_URL` and `WEBHOOK_SECRET`. */
export interface GlobalWebhookSettings {
  enabled: boolean;
  url?: string | undefined;
  secret?: string | undefined;
}

/**
 * Keeps the operator's webhook row in step with the environment at start-up: created or
 * updated when enabled, disabled (its log kept) when not. It receives every event.
 */
export async function syncGlobalWebhook(
  deps: { knex: Knex; cipher: SecretCipher; logger: Logger },
  settings: GlobalWebhookSettings,
): Promise<void> {
  if (!settings.enabled || !settings.url || !settings.secret) {
    await webhookRepository.disable(deps.knex, GLOBAL_WEBHOOK_ID);
    return;
  }

  await webhookRepository.upsertOperator(deps.knex, {
    id: GLOBAL_WEBHOOK_ID,
    userId: null,
    ownerRole: 'operator',
    url: settings.url,
    events: ['*'],
    description: 'global webhook (WEBHOOK_URL)',
    enabled: true,
    secretCiphertext: deps.cipher.encrypt(settings.secret, GLOBAL_WEBHOOK_ID),
  });
  deps.logger.info('global webhook enabled', { webhook_id: GLOBAL_WEBHOOK_ID });
}
