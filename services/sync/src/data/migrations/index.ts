import type { Knex } from 'knex';
import * as sources from './001_sources';
import * as outbox from './002_outbox';
import * as sourceFilesDocument from './003_source_files_document';
import * as sourcesCreatedByRole from './004_sources_created_by_role';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, in order; imported so the compiled service needs no migration directory. */
const MIGRATIONS: Record<string, Migration> = {
  '001_sources': sources,
  '002_outbox': outbox,
  '003_source_files_document': sourceFilesDocument,
  '004_sources_created_by_role': sourcesCreatedByRole,
};

/** A knex migration source over the imported modules above. */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(MIGRATIONS)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return Promise.resolve(migration);
  },
};
