import type { Knex } from 'knex';

/**
 * The role of whoever last set a source's configuration. A local folder a user (not an admin)
 * set up is checked against `SYNC_LOCAL_ROOTS` again at every sync, so narrowing the roots
 * also stops the syncs of folders that are no longer allowed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE sources ADD COLUMN created_by_role text NOT NULL DEFAULT 'user'");
}

/** Drops the column of `up`. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sources DROP COLUMN IF EXISTS created_by_role');
}
