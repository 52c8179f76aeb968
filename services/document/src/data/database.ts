import knexFactory, { type Knex } from 'knex';
import { migrationSource } from './migrations';

/** The table knex records this service's applied migrations in. */
export const MIGRATIONS_TABLE = 'document_knex_migrations';

/**
 * Settings of every pooled connection. The service answers small queries (one user's few
 * thousand rows at most): starting parallel workers cost more than they saved on a 2-core
 * machine (a 9000-row count: 93 ms with two workers, 45 ms without), and JIT compilation takes
 * tens of milliseconds where it starts, which the planner's costs of text search queries (and
 * of `scope=all` searches) can reach. Set once per connection, so a search needs no
 * transaction of its own for them.
 */
const SESSION_SETTINGS = 'SET max_parallel_workers_per_gather = 0; SET jit = off';

interface RawConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/** A knex pool on the service's database. */
export function createDatabase(url: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: 10,
      afterCreate: (connection: RawConnection, done: (error: Error | null, c: unknown) => void) =>
        connection.query(SESSION_SETTINGS, (error) => done(error, connection)),
    },
  });
}

/** Applies pending migrations; safe to run from several instances at once (knex locks). */
export async function migrate(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE });
}
