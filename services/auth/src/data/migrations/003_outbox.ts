import type { Knex } from 'knex';
import { createOutboxTable } from '@readur/outbox';
import { OUTBOX_TABLE } from '../event.outbox';

/** The outbox of this service (auth consumes no events, so it has no inbox). */
export async function up(knex: Knex): Promise<void> {
  await createOutboxTable(knex, OUTBOX_TABLE);
}

/** Drops the outbox. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(OUTBOX_TABLE);
}
