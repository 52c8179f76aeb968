import type { Knex } from 'knex';
import type { AnyEnvelope } from '@readur/contracts';
import { handleOnce } from '@readur/outbox';

/** This service's inbox table (services may share a dev database). */
export const INBOX_TABLE = 'webhook_inbox';

/** Runs `fn` once per event id for `consumer`; resolves false for a duplicate delivery. */
export function handleEventOnce(
  knex: Knex,
  consumer: string,
  envelope: AnyEnvelope,
  fn: (trx: Knex.Transaction) => Promise<void>,
): Promise<boolean> {
  return handleOnce(knex, consumer, envelope, fn, { table: INBOX_TABLE });
}
