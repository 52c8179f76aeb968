import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import type { HostResolver } from '../data/address.guard';
import type { SecretCipher } from './secret.cipher';

/** Settings the use cases read, from the service config. */
export interface WebhookSettings {
  /** `WEBHOOK_RETRY_ATTEMPTS`: tries per delivery, the first included. */
  maxAttempts: number;
  /** `WEBHOOK_TIMEOUT` in ms: the longest one attempt may take. */
  timeoutMs: number;
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** What the webhook use cases work with; each names only what it needs from here. */
export interface WebhookDeps {
  knex: Knex;
  cipher: SecretCipher;
  logger: Logger;
  settings: WebhookSettings;
  /** Resolves a webhook's host name when it is saved (the same resolver the client uses). */
  resolver: HostResolver;
  /** Wakes the delivery worker after new deliveries were committed. */
  wake(): void;
}
