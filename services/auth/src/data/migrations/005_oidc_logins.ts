import type { Knex } from 'knex';

/**
 * Single sign-on attempts in flight: the state, nonce and PKCE verifier of each redirect to
 * the provider, used once by the callback. Shared by every replica.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_logins', (table) => {
    table.text('state').primary();
    table.text('nonce').notNullable();
    table.text('code_verifier').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oidc_logins');
}
