import type { Knex } from 'knex';
import { createInboxTable } from '@readur/outbox';
import { INBOX_TABLE } from '../event.inbox';

/** The inbox: event ids the bus consumer already turned into deliveries. */
export const up = (knex: Knex): Promise<void> => createInboxTable(knex, INBOX_TABLE);

/** Drops the inbox. */
export const down = async (knex: Knex): Promise<void> => {
  await knex.schema.dropTableIfExists(INBOX_TABLE);
};
