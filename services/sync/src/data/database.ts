import knexFactory, { type Knex } from 'knex';
import { migrationSource } from './migrations';

/** The table knex records this service's applied migrations in. */
export const MIGRATIONS_TABLE = 'sync_knex_migrations';

/** A pool or a transaction: repositories run in whichever the use case hands them. */
export type Db = Knex | Knex.Transaction;

/** A knex pool on the service's database. */
export function createDatabase(url: string): Knex {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
}

/** Applies pending migrations; safe to run from several instances at once (knex locks). */
export async function migrate(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE });
}
