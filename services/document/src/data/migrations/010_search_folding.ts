import type { Knex } from 'knex';

/**
 * Language-aware, folded search. Replaces the generated `search_vector` of 001 with a column
 * kept right by a trigger, so every writer (upload, PATCH, OCR) still needs no extra call:
 *
 * - `readur_fold` is applied to indexed text and to queries alike: NFKC (ligatures, full-width
 *   forms), soft hyphens removed, Unicode hyphens made ASCII, words broken across lines with a
 *   hyphen joined again.
 * - three configurations of our own (`readur_simple`, `readur_english`, `readur_german`) put
 *   `unaccent` before the stemmer, so `März`, `marz` and `MÄRZ` meet, and `Straße` meets
 *   `strasse`; the document's OCR language picks one (`search_config`).
 * - compounds and codes are indexed a second time at weight D, joined (`email`, `inv4711`)
 *   and split (`4711`), after the text so phrase positions stay those of the text.
 * - runs of CJK characters are copied to `search_cjk` for a trigram substring fallback.
 * - `search_words` holds each user's lexemes for typo-tolerant (trigram) search.
 * - `search_generations` counts changes per user; the search cache keys on it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS unaccent');
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await createConfigurations(knex);
  await createFunctions(knex);
  await replaceSearchVector(knex);
  await createWordsAndGenerations(knex);
  await createFuzzySearch(knex);
}

const WORD_TOKENS = 'asciiword, word, asciihword, hword, hword_asciipart, hword_part';
const NUMERIC_TOKENS = 'numword, numhword, hword_numpart';

async function createConfigurations(knex: Knex): Promise<void> {
  const configurations: [string, string, string][] = [
    ['readur_simple', 'simple', 'simple'],
    ['readur_english', 'english', 'english_stem'],
    ['readur_german', 'german', 'german_stem'],
  ];
  for (const [name, source, dictionary] of configurations) {
    await knex.raw(`CREATE TEXT SEARCH CONFIGURATION ${name} (COPY = ${source})`);
    await knex.raw(
      `ALTER TEXT SEARCH CONFIGURATION ${name}
         ALTER MAPPING FOR ${WORD_TOKENS} WITH unaccent, ${dictionary}`,
    );
    await knex.raw(
      `ALTER TEXT SEARCH CONFIGURATION ${name} ALTER MAPPING FOR ${NUMERIC_TOKENS} WITH unaccent, simple`,
    );
  }
}

async function createFunctions(knex: Knex): Promise<void> {
  // IMMUTABLE so they can back indexes; unaccent's rules file is part of the installation.
  // knex.raw reads a bare question mark as a binding, so the patterns write it as \\?.
  // translate() maps U+2010/2011 to '-' and drops U+00AD, which has no partner.
  await knex.raw(`
    CREATE FUNCTION readur_fold(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT regexp_replace(
        translate(normalize(input, NFKC), E'\\u2010\\u2011\\u00AD', '--'),
        E'([[:alpha:]])-[ \\t]*\\r\\?\\n[ \\t]*([[:lower:]])', E'\\\\1\\\\2', 'g')
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_unaccent(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT public.unaccent('public.unaccent'::regdictionary, input)
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_title_key(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT lower(readur_unaccent(readur_fold(input)))
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE lower(split_part(coalesce(language, ''), '+', 1))
        WHEN 'eng' THEN 'readur_english'::regconfig
        WHEN 'en' THEN 'readur_english'::regconfig
        WHEN 'english' THEN 'readur_english'::regconfig
        WHEN 'deu' THEN 'readur_german'::regconfig
        WHEN 'ger' THEN 'readur_german'::regconfig
        WHEN 'de' THEN 'readur_german'::regconfig
        WHEN 'german' THEN 'readur_german'::regconfig
        ELSE 'readur_simple'::regconfig
      END
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_search_extras(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT coalesce(string_agg(replace(m[1], '-', '') || ' ' || replace(m[1], '-', ' '), ' '), '')
      FROM regexp_matches(input, '([[:alnum:]]+(\\?:-[[:alnum:]]+)+)', 'g') AS m
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_cjk_runs(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT string_agg(m[1], ' ')
      FROM regexp_matches(input,
        '([\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\u1100-\\u11ff]+)',
        'g') AS m
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_filename_words(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT regexp_replace(readur_fold(input), '[_.]+', ' ', 'g')
    $$`);
  await knex.raw(`
    CREATE FUNCTION readur_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      body text := readur_fold(left(coalesce(NEW.ocr_text, ''), 500000));
      title text := readur_fold(NEW.title);
    BEGIN
      NEW.search_config := readur_search_config(NEW.ocr_language);
      NEW.search_vector :=
        setweight(to_tsvector(NEW.search_config, title), 'A') ||
        setweight(to_tsvector(NEW.search_config, readur_filename_words(NEW.original_filename)), 'B') ||
        setweight(to_tsvector(NEW.search_config, body), 'C') ||
        setweight(to_tsvector(NEW.search_config, readur_search_extras(title || E'\\n' || body)), 'D');
      NEW.search_cjk := readur_cjk_runs(title || E'\\n' || body);
      RETURN NEW;
    END $$`);
}

async function replaceSearchVector(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE documents DROP COLUMN search_vector');
  await knex.raw(`
    ALTER TABLE documents
      ADD COLUMN search_config regconfig NOT NULL DEFAULT 'readur_simple',
      ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector,
      ADD COLUMN search_cjk text`);
  await knex.raw(`
    CREATE TRIGGER documents_search_document
    BEFORE INSERT OR UPDATE OF title, original_filename, ocr_text, ocr_language ON documents
    FOR EACH ROW EXECUTE FUNCTION readur_search_document()`);
  await knex.raw('UPDATE documents SET title = title');

  await knex.raw('CREATE INDEX documents_search_idx ON documents USING gin (search_vector)');
  await knex.raw(`
    CREATE INDEX documents_search_cjk_idx ON documents USING gin (search_cjk gin_trgm_ops)
    WHERE search_cjk IS NOT NULL`);
  await knex.raw(`
    CREATE INDEX documents_title_trgm_idx ON documents
    USING gin (readur_title_key(title) gin_trgm_ops)`);
  await knex.raw('CREATE INDEX documents_labels_idx ON documents USING gin (labels)');
}

async function createWordsAndGenerations(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE search_words (
      user_id uuid NOT NULL,
      word text NOT NULL,
      PRIMARY KEY (user_id, word)
    )`);
  await knex.raw(
    'CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops)',
  );
  await knex.raw(`
    CREATE FUNCTION readur_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_words (user_id, word)
      SELECT DISTINCT NEW.user_id, lexeme FROM unnest(tsvector_to_array(NEW.search_vector)) AS lexeme
      WHERE length(lexeme) BETWEEN 3 AND 40
      ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER documents_search_words
    AFTER INSERT OR UPDATE OF title, original_filename, ocr_text, ocr_language ON documents
    FOR EACH ROW EXECUTE FUNCTION readur_search_words()`);
  await knex.raw(`
    INSERT INTO search_words (user_id, word)
    SELECT DISTINCT user_id, lexeme FROM documents, unnest(tsvector_to_array(search_vector)) AS lexeme
    WHERE length(lexeme) BETWEEN 3 AND 40
    ON CONFLICT DO NOTHING`);

  await knex.raw(`
    CREATE TABLE search_generations (
      user_id uuid PRIMARY KEY,
      generation bigint NOT NULL DEFAULT 1
    )`);
  for (const [event, table] of [
    ['INSERT', 'NEW'],
    ['UPDATE', 'NEW'],
    ['DELETE', 'OLD'],
  ] as const) {
    const fn = `readur_search_generation_${event.toLowerCase()}`;
    await knex.raw(`
      CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO search_generations (user_id)
        SELECT DISTINCT user_id FROM changed ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET generation = search_generations.generation + 1;
        RETURN NULL;
      END $$`);
    await knex.raw(`
      CREATE TRIGGER documents_search_generation_${event.toLowerCase()}
      AFTER ${event} ON documents REFERENCING ${table} TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
  }
}

async function createFuzzySearch(knex: Knex): Promise<void> {
  // The seed's signature: documents whose title is within `similarity_threshold` of the query
  // (word similarity, so a short query against a long title still scores), best first.
  await knex.raw(`
    CREATE FUNCTION fuzzy_search(query_text text, similarity_threshold real DEFAULT 0.3)
    RETURNS TABLE (id uuid, user_id uuid, title text, similarity real)
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
      key text := readur_title_key(query_text);
    BEGIN
      PERFORM set_config('pg_trgm.word_similarity_threshold', similarity_threshold::text, true);
      RETURN QUERY
        SELECT d.id, d.user_id, d.title, word_similarity(key, readur_title_key(d.title)) AS similarity
        FROM documents d
        WHERE key <% readur_title_key(d.title)
        ORDER BY 4 DESC, 1;
    END $$`);
}

/** Restores the generated column of 001 and drops everything above. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS fuzzy_search(text, real)');
  for (const event of ['insert', 'update', 'delete']) {
    await knex.raw(`DROP TRIGGER IF EXISTS documents_search_generation_${event} ON documents`);
    await knex.raw(`DROP FUNCTION IF EXISTS readur_search_generation_${event}()`);
  }
  await knex.raw('DROP TABLE IF EXISTS search_generations');
  await knex.raw('DROP TRIGGER IF EXISTS documents_search_words ON documents');
  await knex.raw('DROP FUNCTION IF EXISTS readur_search_words()');
  await knex.raw('DROP TABLE IF EXISTS search_words');
  await knex.raw('DROP TRIGGER IF EXISTS documents_search_document ON documents');
  await knex.raw('DROP INDEX IF EXISTS documents_title_trgm_idx');
  await knex.raw('DROP INDEX IF EXISTS documents_labels_idx');
  await knex.raw(
    'ALTER TABLE documents DROP COLUMN search_vector, DROP COLUMN search_config, DROP COLUMN search_cjk',
  );
  await knex.raw('DROP FUNCTION IF EXISTS readur_search_document()');
  for (const fn of [
    'readur_filename_words(text)',
    'readur_cjk_runs(text)',
    'readur_search_extras(text)',
    'readur_search_config(text)',
    'readur_title_key(text)',
    'readur_unaccent(text)',
    'readur_fold(text)',
  ]) {
    await knex.raw(`DROP FUNCTION IF EXISTS ${fn}`);
  }
  for (const name of ['readur_simple', 'readur_english', 'readur_german']) {
    await knex.raw(`DROP TEXT SEARCH CONFIGURATION IF EXISTS ${name}`);
  }
  await knex.raw(`
    ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple', title), 'A') ||
      setweight(to_tsvector('simple', left(coalesce(ocr_text, ''), 500000)), 'B')
    ) STORED`);
  await knex.raw('CREATE INDEX documents_search_idx ON documents USING gin (search_vector)');
}
