import type { Knex } from 'knex';

/** The configurations of migration 010; one partial index each. */
const CONFIGS = ['readur_english', 'readur_german', 'readur_simple'] as const;

const indexName = (config: (typeof CONFIGS)[number]) =>
  `documents_search_${config.replace('readur_', '')}_idx`;

/**
 * Indexes that let one user's query be answered per configuration without reading any
 * document's vector: a `(user_id, search_vector)` GIN per configuration (btree_gin), so
 * `search_config = c AND search_vector @@ query_under_c` needs no per-row recheck and skips
 * other users' postings, and a `(user_id, title vector)` GIN to find title hits among very
 * many matches (see `searchRepository.search`). The plain `documents_search_idx` stays for
 * `scope=all`, facets and similar documents.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS btree_gin');
  await knex.raw("SET LOCAL maintenance_work_mem = '256MB'");
  for (const config of CONFIGS) {
    await knex.raw(`
      CREATE INDEX ${indexName(config)} ON documents USING gin (user_id, search_vector)
      WHERE search_config = '${config}'::regconfig`);
  }
  await knex.raw(`
    CREATE INDEX documents_search_title_idx ON documents
    USING gin (user_id, to_tsvector(search_config, readur_fold(title)))`);
}

/** Drops the indexes (btree_gin stays: other objects may use it). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS documents_search_title_idx');
  for (const config of CONFIGS) await knex.raw(`DROP INDEX IF EXISTS ${indexName(config)}`);
}
