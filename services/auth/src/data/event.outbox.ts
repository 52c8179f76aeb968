import type { Knex } from 'knex';
import type { Bus } from '@readur/bus';
import type { AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import { startOutboxRelay, writeEvent, type OutboxRelay } from '@readur/outbox';

/** The outbox table of this service; the dev stack shares one database between services. */
export const OUTBOX_TABLE = 'auth_outbox';

/** Writes events in the caller's transaction and relays committed ones to the bus. */
export interface EventOutbox {
  writeEvent: (trx: Knex.Transaction, envelope: AnyEnvelope) => Promise<void>;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

/** The outbox of the auth service, over `auth_outbox`. */
export function createEventOutbox(deps: { db: Knex; bus: Bus; logger: Logger }): EventOutbox {
  let relay: OutboxRelay | undefined;
  return {
    writeEvent: (trx, envelope) => writeEvent(trx, envelope, { table: OUTBOX_TABLE }),
    start: () => {
      relay ??= startOutboxRelay({
        knex: deps.db,
        bus: deps.bus,
        logger: deps.logger,
        table: OUTBOX_TABLE,
      });
      return Promise.resolve();
    },
    stop: async () => {
      await relay?.stop();
      relay = undefined;
    },
  };
}
