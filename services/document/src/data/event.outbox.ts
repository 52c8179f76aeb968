import type { Knex } from 'knex';
import type { AnyEnvelope } from '@readur/contracts';
import { handleOnce, writeEvent } from '@readur/outbox';

/** This service's outbox and inbox tables (services may share a dev database). */
export const OUTBOX_TABLES = { outbox: 'document_outbox', inbox: 'document_inbox' } as const;

/** Records an event in this service's outbox, inside the caller's transaction. */
export function recordEvent(trx: Knex.Transaction, envelope: AnyEnvelope): Promise<void> {
  return writeEvent(trx, envelope, { table: OUTBOX_TABLES.outbox });
}

/** Runs `fn` once per event id for `consumer`; resolves false for a duplicate delivery. */
export function handleEventOnce(
  knex: Knex,
  consumer: string,
  envelope: AnyEnvelope,
  fn: (trx: Knex.Transaction) => Promise<void>,
): Promise<boolean> {
  return handleOnce(knex, consumer, envelope, fn, { table: OUTBOX_TABLES.inbox });
}
