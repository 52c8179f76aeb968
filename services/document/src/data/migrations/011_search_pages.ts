import type { Knex } from 'knex';

/**
 * Per-page search data, so snippets neither fold nor parse page text at query time: the
 * folded text where folding changed it (`search_text`, else NULL) and a page `search_vector`
 * in the document's configuration. A page written before its document's OCR language
 * (`saveOcrResult` inserts pages first) is re-vectorised when the document's configuration
 * changes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE document_pages
      ADD COLUMN search_text text,
      ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector`);
  await knex.raw(`
    CREATE FUNCTION readur_page_vector(config regconfig, folded text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT to_tsvector(config, folded) || to_tsvector(config, readur_search_extras(folded))
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_search_page() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      folded text := readur_fold(left(NEW.text, 100000));
      config regconfig := coalesce(
        (SELECT d.search_config FROM documents d WHERE d.id = NEW.document_id),
        'readur_simple');
    BEGIN
      NEW.search_text := CASE WHEN folded = NEW.text THEN NULL ELSE folded END;
      NEW.search_vector := readur_page_vector(config, folded);
      RETURN NEW;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER document_pages_search_page
    BEFORE INSERT OR UPDATE OF text ON document_pages
    FOR EACH ROW EXECUTE FUNCTION readur_search_page()`);
  await knex.raw(`
    CREATE FUNCTION readur_search_page_config() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.search_config IS DISTINCT FROM OLD.search_config THEN
        UPDATE document_pages p
        SET search_vector = readur_page_vector(NEW.search_config,
                                               coalesce(p.search_text, left(p.text, 100000)))
        WHERE p.document_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER documents_search_page_config
    AFTER UPDATE OF ocr_language ON documents
    FOR EACH ROW EXECUTE FUNCTION readur_search_page_config()`);
  await knex.raw('UPDATE document_pages SET text = text');
}

/** Drops the per-page columns, triggers and functions. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS documents_search_page_config ON documents');
  await knex.raw('DROP FUNCTION IF EXISTS readur_search_page_config()');
  await knex.raw('DROP TRIGGER IF EXISTS document_pages_search_page ON document_pages');
  await knex.raw('DROP FUNCTION IF EXISTS readur_search_page()');
  await knex.raw('DROP FUNCTION IF EXISTS readur_page_vector(regconfig, text)');
  await knex.raw('ALTER TABLE document_pages DROP COLUMN search_text, DROP COLUMN search_vector');
}
