import type { Knex } from 'knex';
import type { AnyEnvelope } from '@readur/contracts';
import { writeEvent } from '@readur/outbox';

/** This service's outbox and inbox tables (services may share a dev database). */
export const OUTBOX_TABLES = { outbox: 'sync_outbox', inbox: 'sync_inbox' } as const;

/** Records an event in this service's outbox, inside the caller's transaction. */
export function recordEvent(trx: Knex.Transaction, envelope: AnyEnvelope): Promise<void> {
  return writeEvent(trx, envelope, { table: OUTBOX_TABLES.outbox });
}
