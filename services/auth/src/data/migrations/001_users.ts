import type { Knex } from 'knex';

/** Users: local accounts now; OIDC identities (issuer + subject) later. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary();
    table.text('username').notNullable();
    table.text('email');
    table.text('password_hash');
    table.text('role').notNullable().checkIn(['admin', 'user'], 'users_role_check');
    table.text('oidc_issuer');
    table.text('oidc_subject');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['oidc_issuer', 'oidc_subject'], { indexName: 'users_oidc_identity_unique' });
  });
  await knex.raw('CREATE UNIQUE INDEX users_username_unique ON users (lower(username))');
  await knex.raw(
    'CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email IS NOT NULL',
  );
}

/** Drops the users table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
