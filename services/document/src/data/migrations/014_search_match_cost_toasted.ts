import type { Knex } from 'knex';

/**
 * Raises the cost of `tsvector @@ tsquery` again, from 100 (migration 013) to 1000: checking
 * one row reads its vector, a few kilobytes out of line for a page of text, about as much work
 * as reading a few table pages. At 100 the planner still found reading a user's rows through
 * another index that holds `user_id` (the title index, the date index) and checking each
 * vector about as cheap as the `(user_id, search_vector)` index that needs no check, and took
 * it for a word in nearly every document: 115 ms against 48 ms for the page query on the
 * 100 000-document benchmark. Like 013 it needs a superuser; without one a notice is logged.
 */
export async function up(knex: Knex): Promise<void> {
  await setCost(knex, 1000);
}

/** Back to the cost of migration 013. */
export async function down(knex: Knex): Promise<void> {
  await setCost(knex, 100);
}

async function setCost(knex: Knex, cost: number): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST ${cost};
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'ts_match_vq keeps its cost: %', SQLERRM;
    END $$`);
}
