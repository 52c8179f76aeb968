import type { Knex } from 'knex';

/**
 * Where a synced document came from: the sync service's source and the file's path in it
 * (null for uploads). The `source` filter of search and listings reads `source_id`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE documents
      ADD COLUMN IF NOT EXISTS source_id uuid,
      ADD COLUMN IF NOT EXISTS source_path text`);
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS documents_source_idx ON documents (source_id) WHERE source_id IS NOT NULL',
  );
}

/** Drops the columns of `up`. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS documents_source_idx');
  await knex.raw(
    'ALTER TABLE documents DROP COLUMN IF EXISTS source_path, DROP COLUMN IF EXISTS source_id',
  );
}
