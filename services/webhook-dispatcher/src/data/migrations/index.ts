import type { Knex } from 'knex';
import * as webhooks from './001_webhooks';
import * as inbox from './002_inbox';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, in order; imported so the compiled service needs no migration directory. */
const MIGRATIONS: Record<string, Migration> = {
  '001_webhooks': webhooks,
  '002_inbox': inbox,
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
