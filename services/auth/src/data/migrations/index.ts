import type { Knex } from 'knex';
import * as users from './001_users';
import * as signingKeys from './002_signing_keys';
import * as outbox from './003_outbox';
import * as sessions from './004_sessions';
import * as oidcLogins from './005_oidc_logins';

interface NamedMigration {
  name: string;
  migration: Knex.Migration;
}

const MIGRATIONS: NamedMigration[] = [
  { name: '001_users', migration: users },
  { name: '002_signing_keys', migration: signingKeys },
  { name: '003_outbox', migration: outbox },
  { name: '004_sessions', migration: sessions },
  { name: '005_oidc_logins', migration: oidcLogins },
];

/**
 * Migrations as imported modules, so they run the same from TypeScript (jest) and from the
 * compiled `dist/` without knex scanning a directory.
 */
export const authMigrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
  getMigrationName: (entry) => entry.name,
  getMigration: (entry) => Promise.resolve(entry.migration),
};
