import type { Knex } from 'knex';

/**
 * Tells the planner that `tsvector @@ tsquery` is expensive. Its default cost (1) makes a
 * filter on the vector look free, so for a word in nearly every document the planner scans
 * the user's rows through another index and checks each vector, reading (detoasting) 10 000
 * of them, instead of the `(user_id, search_vector)` index of migration 012, which needs no
 * vector at all. Altering a catalog function needs a superuser: without one this logs a
 * notice and plans stay as they were (slower for very common words, same results). The cost
 * is a property of this database and is not kept by `pg_dump`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 100;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'ts_match_vq keeps its cost: %', SQLERRM;
    END $$`);
}

/** Restores the default cost. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'ts_match_vq keeps its cost: %', SQLERRM;
    END $$`);
}
