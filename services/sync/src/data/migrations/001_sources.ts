import type { Knex } from 'knex';

/**
 * Sources, their sync runs, and what the sync service knows of every file it has seen:
 * path, size, version (mtime or ETag), content hash, the document it became, and failures
 * with their retry time. A source's lease (owner, expiry) lets one replica run it at a time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sources (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      name text NOT NULL,
      source_type text NOT NULL CHECK (source_type IN ('local_folder', 'webdav', 's3')),
      enabled boolean NOT NULL DEFAULT true,
      config jsonb NOT NULL,
      secret_ciphertext text,
      interval_seconds integer NOT NULL CHECK (interval_seconds > 0),
      next_run_at timestamptz NOT NULL DEFAULT now(),
      lease_owner text,
      lease_expires_at timestamptz,
      last_sync_at timestamptz,
      last_sync_status text,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  await knex.raw('CREATE INDEX sources_user_idx ON sources (user_id, created_at)');
  await knex.raw('CREATE INDEX sources_due_idx ON sources (next_run_at) WHERE enabled');

  await knex.raw(`
    CREATE TABLE source_sync_runs (
      id uuid PRIMARY KEY,
      source_id uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('running', 'completed', 'stopped', 'failed', 'interrupted')),
      stop_requested boolean NOT NULL DEFAULT false,
      files_seen integer NOT NULL DEFAULT 0,
      files_new integer NOT NULL DEFAULT 0,
      files_changed integer NOT NULL DEFAULT 0,
      files_skipped integer NOT NULL DEFAULT 0,
      files_failed integer NOT NULL DEFAULT 0,
      files_deleted integer NOT NULL DEFAULT 0,
      bytes bigint NOT NULL DEFAULT 0,
      current_path text,
      error text,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`);
  await knex.raw(
    'CREATE INDEX source_sync_runs_source_idx ON source_sync_runs (source_id, started_at DESC)',
  );

  await knex.raw(`
    CREATE TABLE source_files (
      source_id uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
      path text NOT NULL,
      size bigint NOT NULL,
      version text NOT NULL,
      content_hash char(64),
      document_id uuid,
      status text NOT NULL CHECK (status IN ('synced', 'failed', 'deleted')),
      failure_reason text,
      attempts integer NOT NULL DEFAULT 0,
      next_retry_at timestamptz,
      last_seen_run_id uuid,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source_id, path)
    )`);

  await knex.raw(`
    CREATE TABLE source_directories (
      source_id uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
      path text NOT NULL,
      etag text NOT NULL,
      PRIMARY KEY (source_id, path)
    )`);
}

/** Drops the tables of `up`. */
export async function down(knex: Knex): Promise<void> {
  for (const table of ['source_directories', 'source_files', 'source_sync_runs', 'sources']) {
    await knex.raw('DROP TABLE IF EXISTS ??', [table]);
  }
}
