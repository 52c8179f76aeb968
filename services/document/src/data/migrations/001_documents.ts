import type { Knex } from 'knex';

/**
 * Documents and their OCR pages. The search vector is a generated column so every writer
 * (upload, PATCH, OCR) keeps it right without remembering to: title at weight A, text at
 * weight B, with the `simple` configuration (no stemming, no stop words), which treats every
 * language alike until search becomes language-aware.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE documents (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      title text NOT NULL,
      filename text NOT NULL,
      original_filename text NOT NULL,
      storage_key text NOT NULL UNIQUE,
      mime_type text NOT NULL,
      file_size bigint NOT NULL CHECK (file_size > 0),
      file_hash char(64) NOT NULL,
      labels text[] NOT NULL DEFAULT '{}',
      metadata jsonb NOT NULL DEFAULT '{}',
      ocr_status text NOT NULL DEFAULT 'pending'
        CHECK (ocr_status IN ('pending', 'processing', 'completed', 'failed')),
      ocr_text text,
      ocr_confidence real,
      ocr_word_count integer,
      page_count integer,
      ocr_processing_time_ms integer,
      ocr_language text,
      ocr_failure_reason text,
      ocr_error text,
      ocr_completed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') ||
        setweight(to_tsvector('simple', left(coalesce(ocr_text, ''), 500000)), 'B')
      ) STORED
    )
  `);
  await knex.raw('CREATE UNIQUE INDEX documents_user_hash_key ON documents (user_id, file_hash)');
  await knex.raw('CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC)');
  await knex.raw('CREATE INDEX documents_search_idx ON documents USING gin (search_vector)');

  await knex.raw(`
    CREATE TABLE document_pages (
      document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
      page integer NOT NULL CHECK (page > 0),
      text text NOT NULL,
      confidence real NOT NULL,
      method text NOT NULL,
      PRIMARY KEY (document_id, page)
    )
  `);
}

/** Drops the tables of `up`. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS document_pages');
  await knex.raw('DROP TABLE IF EXISTS documents');
}
