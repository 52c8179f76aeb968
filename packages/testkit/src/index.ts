import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';

/** The server test databases are created on; override with TEST_POSTGRES_URL. */
export function postgresServerUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** Kafka bootstrap servers for tests: KAFKA_BROKERS, else 127.0.0.1:9092. */
export function kafkaBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
}

/** The RabbitMQ URL for tests: AMQP_URL, else guest on 127.0.0.1:5672. */
export function amqpUrl(): string {
  return process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** A name unique to this test run, safe for databases, queues, topics and groups. */
export function uniqueName(prefix: string): string {
  const safe = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${safe}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A knex pool on an existing PostgreSQL database, e.g. one made by `createTestDatabase`. */
export function connectDatabase(url: string): Knex {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
}

/** A throwaway database: `drop()` destroys the pool and the database. */
export interface TestDatabase {
  name: string;
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** Creates a uniquely named, empty database on the test server and a knex pool on it. */
export async function createTestDatabase(prefix = 'readur_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix).slice(0, 63);
  const server = new URL(postgresServerUrl());
  const admin = knexFactory({
    client: 'pg',
    connection: server.toString(),
    pool: { min: 0, max: 1 },
  });
  try {
    await admin.raw('CREATE DATABASE ??', [name]);
  } finally {
    await admin.destroy();
  }

  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  const knex = connectDatabase(url.toString());
  return { name, url: url.toString(), knex, drop: () => dropDatabase(knex, server, name) };
}

async function dropDatabase(knex: Knex, server: URL, name: string): Promise<void> {
  await knex.destroy();
  const admin = knexFactory({
    client: 'pg',
    connection: server.toString(),
    pool: { min: 0, max: 1 },
  });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  } finally {
    await admin.destroy();
  }
}

/** Options of `waitFor`; `description` says what was awaited when it times out. */
export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  description?: string;
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or throws with the
 * description after `timeoutMs` (default 10 s). Errors thrown by the predicate count as "not yet".
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, description = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { listenToExchange, type ExchangeListener } from './exchange.listener';
