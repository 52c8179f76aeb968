import type { Bus } from '@readur/bus';
import type { AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { Knex } from 'knex';
import type { Client } from 'pg';
import { DEFAULT_OUTBOX_TABLE, outboxChannel } from './outbox.schema';

/** Options of `startOutboxRelay`. */
export interface OutboxRelayOptions {
  knex: Knex;
  bus: Bus;
  logger: Logger;
  /** How often the table is polled when nothing wakes the relay (default 1000 ms). */
  pollMs?: number;
  /** The outbox table (default `outbox`). */
  table?: string;
  /** Rows locked per transaction (default 100). */
  batchSize?: number;
  /** LISTEN for commits of `writeEvent`, also from other processes (default true). */
  listen?: boolean;
}

/** A running relay. */
export interface OutboxRelay {
  /** Wakes the relay now, e.g. right after a commit that wrote events. */
  notify(): void;
  /** Publishes everything unsent now; resolves with the number of events published. */
  drain(): Promise<number>;
  /** Stops polling and waits for the batch in progress. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  event_id: string;
  envelope: AnyEnvelope;
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/**
 * Publishes unsent outbox rows and marks them sent once the broker confirmed. Several
 * replicas may run: rows are locked with `FOR UPDATE SKIP LOCKED`, and only the oldest unsent
 * row of each aggregate is eligible, so one document's events keep their order across replicas.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { knex, bus, logger } = options;
  const table = options.table ?? DEFAULT_OUTBOX_TABLE;
  const pollMs = options.pollMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  let stopped = false;
  let wake: (() => void) | undefined;
  let woken = false;
  let listener: { connection: Client; release(): Promise<void> } | undefined;

  /** One transaction: lock a batch, publish it in order, mark what was confirmed. */
  async function relayBatch(): Promise<number> {
    return knex.transaction(async (trx) => {
      const rows = (await trx(`${table} as o`)
        .select('o.id', 'o.event_id', 'o.envelope')
        .whereNull('o.sent_at')
        .whereNotExists(
          trx(`${table} as p`)
            .select(trx.raw('1'))
            .whereNull('p.sent_at')
            .whereRaw('p.aggregate_key = o.aggregate_key')
            .whereRaw('p.id < o.id'),
        )
        .orderBy('o.id')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()) as OutboxRow[];

      let published = 0;
      for (const row of rows) {
        try {
          await bus.publish(row.envelope);
        } catch (error) {
          // Keep what was confirmed; this row and the rest wait for the next round.
          await trx(table)
            .where({ id: row.id })
            .update({
              attempts: trx.raw('attempts + 1'),
              last_error: String(error).slice(0, 2_000),
            });
          logger.warn('outbox publish failed', { event_id: row.event_id, error: String(error) });
          break;
        }
        await trx(table).where({ id: row.id }).update({ sent_at: trx.fn.now() });
        published += 1;
      }
      return published;
    });
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await relayBatch();
      total += published;
      if (published === 0) return total;
    }
  }

  function sleepUntilWoken(): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        woken = false;
        resolve();
      }
      wake = done;
    });
  }

  function notify(): void {
    woken = true;
    wake?.();
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        const published = await drain();
        if (published > 0) logger.debug('outbox relayed', { table, published });
      } catch (error) {
        logger.error('outbox relay failed', { table, error: String(error) });
      }
      if (!stopped) await sleepUntilWoken();
    }
  }

  async function startListening(): Promise<void> {
    const pool = knex.client as PoolClient;
    const connection = (await pool.acquireConnection()) as Client;
    connection.on('notification', notify);
    await connection.query(`LISTEN "${outboxChannel(table)}"`);
    listener = {
      connection,
      release: async () => {
        connection.removeListener('notification', notify);
        await connection.query(`UNLISTEN "${outboxChannel(table)}"`).catch(() => undefined);
        await pool.releaseConnection(connection);
      },
    };
  }

  if (options.listen ?? true) {
    startListening().catch((error: unknown) =>
      logger.warn('outbox LISTEN failed; polling only', { table, error: String(error) }),
    );
  }
  const running = loop();

  return {
    notify,
    drain,
    async stop() {
      stopped = true;
      notify();
      await running;
      await listener?.release();
    },
  };
}
