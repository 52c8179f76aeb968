import { aggregateKey, type AnyEnvelope } from '@readur/contracts';
import type { Knex } from 'knex';
import { DEFAULT_OUTBOX_TABLE, outboxChannel } from './outbox.schema';

/**
 * Records `envelope` in the outbox inside the caller's transaction, so the state change and
 * the event commit together. The relay is woken through NOTIFY when the transaction commits.
 */
export async function writeEvent(
  trx: Knex.Transaction,
  envelope: AnyEnvelope,
  options: { table?: string } = {},
): Promise<void> {
  const table = options.table ?? DEFAULT_OUTBOX_TABLE;
  await trx(table).insert({
    event_id: envelope.id,
    event: envelope.event,
    aggregate_key: aggregateKey(envelope),
    envelope: JSON.stringify(envelope),
  });

  await trx.raw('SELECT pg_notify(?, ?)', [outboxChannel(table), envelope.id]);
}
