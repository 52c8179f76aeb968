import type { Knex } from 'knex';

/**
 * The OCR languages the ocr-workers announced (`ocr.worker.started`), and the languages each
 * document asked for at upload (`ocr_languages`, NULL for the workers' default).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ocr_languages (
      code text PRIMARY KEY,
      is_default boolean NOT NULL DEFAULT false,
      announced_at timestamptz NOT NULL DEFAULT now()
    )
  `);
  await knex.raw('ALTER TABLE documents ADD COLUMN ocr_languages text');
}

/** Drops what `up` added. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE documents DROP COLUMN IF EXISTS ocr_languages');
  await knex.raw('DROP TABLE IF EXISTS ocr_languages');
}
