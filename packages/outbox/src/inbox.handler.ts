import type { AnyEnvelope } from '@readur/contracts';
import type { Knex } from 'knex';
import { DEFAULT_INBOX_TABLE } from './outbox.schema';

/**
 * Runs `fn` at most once per (consumer, event id): the id is recorded in the inbox in the
 * same transaction as `fn`'s writes, so a redelivered message has no second effect. Resolves
 * `true` when `fn` ran, `false` for a duplicate. A throwing `fn` records nothing.
 */
export async function handleOnce(
  knex: Knex,
  consumerName: string,
  envelope: AnyEnvelope,
  fn: (trx: Knex.Transaction) => Promise<void>,
  options: { table?: string } = {},
): Promise<boolean> {
  const table = options.table ?? DEFAULT_INBOX_TABLE;
  return knex.transaction(async (trx) => {
    // A concurrent delivery of the same id waits here on the primary key, then sees a conflict.
    const inserted: unknown[] = await trx(table)
      .insert({ consumer: consumerName, event_id: envelope.id, event: envelope.event })
      .onConflict(['consumer', 'event_id'])
      .ignore()
      .returning('event_id');
    if (inserted.length === 0) return false;

    await fn(trx);
    return true;
  });
}
