import type { Knex } from 'knex';

/**
 * Finds the live files linked to a document, asked before a document whose file disappeared is
 * removed (a moved file or another copy may still point at it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    "CREATE INDEX source_files_document_idx ON source_files (document_id) WHERE status <> 'deleted'",
  );
}

/** Drops the index of `up`. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS source_files_document_idx');
}
