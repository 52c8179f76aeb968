import type { Knex } from 'knex';

/**
 * Fuzzy search looks up the caller's own words within a trigram distance. The trigram index of
 * migration 010 holds every user's words, so the planner either checked each similar word of
 * every user for the caller's id (a short word: 5 778 rows for 52, 9 ms, growing with the
 * number of users) or ANDed the caller's whole primary-key range (70 000 words, 5 ms). One GIN
 * over `(user_id, word)` (btree_gin, migration 012) answers both at once: 1–3 ms. It also
 * serves `scope=all`, so it replaces the old index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS btree_gin');
  await knex.raw("SET LOCAL maintenance_work_mem = '256MB'");
  await knex.raw(
    'CREATE INDEX search_words_user_trgm_idx ON search_words USING gin (user_id, word gin_trgm_ops)',
  );
  await knex.raw('DROP INDEX IF EXISTS search_words_trgm_idx');
}

/** Restores the trigram index over words alone. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops)',
  );
  await knex.raw('DROP INDEX IF EXISTS search_words_user_trgm_idx');
}
