import type { Knex } from 'knex';

/** Token signing keys, shared by every replica; old keys stay published until they expire. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (table) => {
    table.text('kid').primary();
    table.text('algorithm').notNullable();
    table.jsonb('public_jwk').notNullable();
    table.text('private_key_pem').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true });
  });
}

/** Drops the signing keys table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys');
}
