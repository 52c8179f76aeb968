import type { Knex } from 'knex';

/**
 * Page-level OCR. `ocr_jobs` holds the current OCR run of each document (a retry replaces it,
 * so events of an older run are recognised by `job_id` and ignored); `ocr_job_pages` holds the
 * pages of a split document as they arrive, one row per page whatever the redeliveries;
 * `ocr_archive_pages` the searchable page PDFs the workers stored for the archive. Documents
 * gain the keys of their archive PDF and thumbnail and the time they were (re)queued.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ocr_jobs (
      document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
      job_id uuid NOT NULL,
      page_count integer CHECK (page_count > 0),
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )
  `);
  await knex.raw(`
    CREATE TABLE ocr_job_pages (
      document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
      page integer NOT NULL CHECK (page > 0),
      job_id uuid NOT NULL,
      text text NOT NULL,
      confidence real NOT NULL,
      method text NOT NULL,
      word_count integer NOT NULL,
      processing_time_ms integer NOT NULL,
      completed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (document_id, page)
    )
  `);
  await knex.raw(`
    CREATE TABLE ocr_archive_pages (
      document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
      job_id uuid NOT NULL,
      page integer NOT NULL CHECK (page > 0),
      storage_key text NOT NULL,
      PRIMARY KEY (document_id, job_id, page)
    )
  `);
  await knex.raw(`
    ALTER TABLE documents
      ADD COLUMN archive_key text,
      ADD COLUMN thumbnail_key text,
      ADD COLUMN ocr_queued_at timestamptz
  `);
  await knex.raw(`
    CREATE INDEX documents_ocr_queue_idx ON documents (ocr_status, created_at)
      WHERE ocr_status IN ('pending', 'processing')
  `);
}

/** Drops what `up` added. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS documents_ocr_queue_idx');
  await knex.raw(`
    ALTER TABLE documents
      DROP COLUMN IF EXISTS archive_key,
      DROP COLUMN IF EXISTS thumbnail_key,
      DROP COLUMN IF EXISTS ocr_queued_at
  `);
  await knex.raw('DROP TABLE IF EXISTS ocr_archive_pages');
  await knex.raw('DROP TABLE IF EXISTS ocr_job_pages');
  await knex.raw('DROP TABLE IF EXISTS ocr_jobs');
}
