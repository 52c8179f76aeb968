import type { Knex } from 'knex';
import { outboxMigration } from '@readur/outbox';
import { OUTBOX_TABLES } from '../event.outbox';

const migration = outboxMigration(OUTBOX_TABLES);

/** Creates the outbox of the events this service publishes (and an inbox for symmetry). */
export const up = (knex: Knex): Promise<void> => migration.up(knex);

/** Drops both tables. */
export const down = (knex: Knex): Promise<void> => migration.down(knex);
