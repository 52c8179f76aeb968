import knex, { type Knex } from 'knex';
import { authMigrationSource } from './migrations';

/** The migrations table of this service; other services keep their own. */
export const MIGRATIONS_TABLE = 'auth_knex_migrations';

/** A connection pool to the auth database. */
export function createDatabase(url: string): Knex {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
}

/** Brings the schema up to date; safe to run from several replicas at once (knex locks). */
export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({
    migrationSource: authMigrationSource,
    tableName: MIGRATIONS_TABLE,
  });
}

/** Readiness: resolves when the database answers. */
export async function checkDatabase(db: Knex): Promise<void> {
  await db.raw('SELECT 1');
}
