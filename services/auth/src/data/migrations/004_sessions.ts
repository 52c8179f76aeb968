import type { Knex } from 'knex';

/**
 * Sessions (one per sign-in; the refresh-token family), their rotating refresh tokens, personal
 * API keys, disabled accounts, a publication delay for new signing keys, and the store of the
 * login throttle.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.timestamp('disabled_at', { useTz: true });
  });
  await knex.schema.alterTable('signing_keys', (table) => {
    table.timestamp('activates_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('sessions', (table) => {
    table.uuid('id').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('method').notNullable();
    table.text('oidc_issuer');
    table.text('oidc_subject');
    table.text('oidc_sid');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('revoked_at', { useTz: true });
    table.text('revoked_reason');
    table.index(['user_id']);
    table.index(['oidc_issuer', 'oidc_subject']);
  });

  await knex.schema.createTable('refresh_tokens', (table) => {
    table.text('token_hash').primary();
    table.uuid('session_id').notNullable().references('sessions.id').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true });
    table.index(['session_id']);
  });

  await knex.schema.createTable('api_keys', (table) => {
    table.uuid('id').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('name').notNullable();
    table.text('scope').notNullable().checkIn(['read', 'read_write'], 'api_keys_scope_check');
    table.text('key_hash').notNullable().unique();
    table.text('prefix').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true });
    table.timestamp('last_used_at', { useTz: true });
    table.timestamp('revoked_at', { useTz: true });
    table.index(['user_id']);
  });

  // The shape rate-limiter-flexible's PostgreSQL store expects.
  await knex.schema.createTable('login_throttle', (table) => {
    table.string('key', 255).primary();
    table.integer('points').notNullable().defaultTo(0);
    table.bigInteger('expire');
  });
}

/** Drops what `up` added. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_throttle');
  await knex.schema.dropTable('api_keys');
  await knex.schema.dropTable('refresh_tokens');
  await knex.schema.dropTable('sessions');
  await knex.schema.alterTable('signing_keys', (table) => table.dropColumn('activates_at'));
  await knex.schema.alterTable('users', (table) => table.dropColumn('disabled_at'));
}
