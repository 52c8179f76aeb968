import type { Knex } from 'knex';

/**
 * Table names. Each service owns its tables, and two services may share a dev database, so a
 * service passes its own names (e.g. `document_outbox`, `document_inbox`); the defaults suit
 * a service alone in its database.
 */
export interface OutboxTables {
  outbox?: string;
  inbox?: string;
}

/** The default outbox table name. */
export const DEFAULT_OUTBOX_TABLE = 'outbox';
/** The default inbox table name. */
export const DEFAULT_INBOX_TABLE = 'inbox';

/** Creates the outbox table: one row per event to publish, `sent_at` set once confirmed. */
export async function createOutboxTable(knex: Knex, table = DEFAULT_OUTBOX_TABLE): Promise<void> {
  await knex.schema.createTable(table, (t) => {
    t.bigIncrements('id').primary();
    t.uuid('event_id').notNullable().unique();
    t.text('event').notNullable();
    t.text('aggregate_key').notNullable();
    t.jsonb('envelope').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
  });
  // The relay only ever reads unsent rows, by aggregate and in order.
  await knex.raw(`CREATE INDEX ?? ON ?? (aggregate_key, id) WHERE sent_at IS NULL`, [
    `${table}_unsent_idx`,
    table,
  ]);
}

/** Creates the inbox table: which consumer already handled which event id. */
export async function createInboxTable(knex: Knex, table = DEFAULT_INBOX_TABLE): Promise<void> {
  await knex.schema.createTable(table, (t) => {
    t.text('consumer').notNullable();
    t.uuid('event_id').notNullable();
    t.text('event').notNullable();
    t.timestamp('handled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['consumer', 'event_id']);
  });
}

/**
 * A knex migration (`{ up, down }`) creating both tables, for a service's own migration
 * list, e.g. `export const { up, down } = outboxMigration({ outbox: 'document_outbox' })`.
 */
export function outboxMigration(tables: OutboxTables = {}): {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
} {
  const outbox = tables.outbox ?? DEFAULT_OUTBOX_TABLE;
  const inbox = tables.inbox ?? DEFAULT_INBOX_TABLE;
  return {
    async up(knex) {
      await createOutboxTable(knex, outbox);
      await createInboxTable(knex, inbox);
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(inbox);
      await knex.schema.dropTableIfExists(outbox);
    },
  };
}

/** The LISTEN/NOTIFY channel that wakes the relay of one outbox table. */
export function outboxChannel(table: string): string {
  return `${table}_written`;
}
