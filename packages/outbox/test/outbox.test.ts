import { randomUUID } from 'node:crypto';
import type { Bus } from '@readur/bus';
import { createEnvelope, EVENT, type AnyEnvelope } from '@readur/contracts';
import { createLogger } from '@readur/logger';
import {
  handleOnce,
  outboxMigration,
  startOutboxRelay,
  writeEvent,
  type OutboxRelay,
} from '@readur/outbox';
import type { Knex } from 'knex';
import { createTestDatabase, waitFor, type TestDatabase } from '@readur/testkit';

const logger = createLogger('outbox-test', 'silent');
const tables = { outbox: 'document_outbox', inbox: 'document_inbox' };

function documentUpdated(documentId: string, step: number): AnyEnvelope {
  return createEnvelope(EVENT.documentUpdated, {
    document_id: documentId,
    user_id: randomUUID(),
    title: `step ${step}`,
    labels: [],
    changes: ['title'],
    updated_at: new Date().toISOString(),
  });
}

/** A bus that records what it was asked to publish; `failNext` makes publishes reject. */
function recordingBus() {
  const published: AnyEnvelope[] = [];
  let failures = 0;
  const bus: Bus = {
    transport: 'amqp',
    publish: async (envelope) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (failures > 0) {
        failures -= 1;
        throw new Error('broker down');
      }
      published.push(envelope);
    },
    subscribe: () => Promise.resolve(),
    check: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { bus, published, failNext: (n: number) => (failures = n) };
}

describe('outbox', () => {
  let database: TestDatabase;
  const relays: OutboxRelay[] = [];
  const start = (bus: Bus, pollMs = 60_000, listen = false) => {
    const relay = startOutboxRelay({
      knex: database.knex,
      bus,
      logger,
      pollMs,
      listen,
      table: tables.outbox,
    });
    relays.push(relay);
    return relay;
  };
  const write = (envelopes: AnyEnvelope[]) =>
    database.knex.transaction(async (trx) => {
      for (const envelope of envelopes) await writeEvent(trx, envelope, { table: tables.outbox });
    });

  beforeEach(async () => {
    database = await createTestDatabase('outbox');
    await outboxMigration(tables).up(database.knex);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await database.drop();
  });

  it('when the transaction commits, then the relay publishes the event and marks it sent', async () => {
    const { bus, published } = recordingBus();
    const envelope = documentUpdated(randomUUID(), 1);
    const relay = start(bus);

    await write([envelope]);
    relay.notify();

    await waitFor(() => published.length === 1, { description: 'the publish' });
    expect(published[0]?.id).toBe(envelope.id);
    const row = await waitFor(() =>
      database
        .knex<{ sent_at: Date | null }>(tables.outbox)
        .where('event_id', envelope.id)
        .whereNotNull('sent_at')
        .first(),
    );
    expect(row).toBeDefined();
  });

  it('when the transaction rolls back, then nothing is published', async () => {
    const { bus, published } = recordingBus();
    const relay = start(bus);

    await expect(
      database.knex.transaction(async (trx) => {
        await writeEvent(trx, documentUpdated(randomUUID(), 1), { table: tables.outbox });
        throw new Error('use case failed');
      }),
    ).rejects.toThrow('use case failed');

    expect(await relay.drain()).toBe(0);
    expect(published).toHaveLength(0);
  });

  it('when nothing calls notify, then the NOTIFY of the commit wakes a listening relay', async () => {
    const { bus, published } = recordingBus();
    start(bus, 60_000, true);
    await new Promise((resolve) => setTimeout(resolve, 300));

    await write([documentUpdated(randomUUID(), 1)]);

    await waitFor(() => published.length === 1, { description: 'the NOTIFY wake-up' });
  });

  it('when two relays run at once, then each event is published once and in order per document', async () => {
    const { bus, published } = recordingBus();
    const documents = [randomUUID(), randomUUID(), randomUUID()];
    const envelopes = Array.from({ length: 30 }, (_, step) =>
      documentUpdated(documents[step % 3] as string, step),
    );
    await write(envelopes);

    await Promise.all([start(bus, 20).drain(), start(bus, 20).drain()]);
    await waitFor(() => published.length === 30, { description: 'all 30 events' });

    expect(new Set(published.map((e) => e.id)).size).toBe(30);
    for (const documentId of documents) {
      const steps = published
        .filter((e) => e.event === 'document.updated' && e.data.document_id === documentId)
        .map((e) => (e.event === 'document.updated' ? Number(e.data.title.split(' ')[1]) : -1));
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
  });

  it('when the broker refuses a publish, then the row stays unsent and goes out later', async () => {
    const recording = recordingBus();
    const envelope = documentUpdated(randomUUID(), 1);
    await write([envelope]);
    recording.failNext(1);
    const relay = start(recording.bus);

    const failed = await waitFor(() =>
      database
        .knex<{ last_error: string }>(tables.outbox)
        .where('event_id', envelope.id)
        .where('attempts', 1)
        .first(),
    );
    relay.notify();

    await waitFor(() => recording.published.length === 1, { description: 'the second try' });
    expect(failed.last_error).toContain('broker down');
  });
});

describe('inbox', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('inbox');
    await outboxMigration(tables).up(database.knex);
    await database.knex.schema.createTable('effect', (t) => t.uuid('event_id'));
  });

  afterAll(() => database.drop());

  const effect = (envelope: AnyEnvelope) => async (trx: Knex.Transaction) => {
    await trx('effect').insert({ event_id: envelope.id });
  };
  const count = async (envelope: AnyEnvelope) =>
    Number(
      (await database.knex('effect').where({ event_id: envelope.id }).count({ n: '*' }))[0]?.n,
    );

  it('when the same event is handled twice, then its effect happens once', async () => {
    const envelope = documentUpdated(randomUUID(), 1);

    const first = await handleOnce(database.knex, 'search', envelope, effect(envelope), {
      table: tables.inbox,
    });
    const second = await handleOnce(database.knex, 'search', envelope, effect(envelope), {
      table: tables.inbox,
    });

    expect([first, second]).toEqual([true, false]);
    expect(await count(envelope)).toBe(1);
  });

  it('when two deliveries race, then exactly one runs', async () => {
    const envelope = documentUpdated(randomUUID(), 1);

    const results = await Promise.all(
      [1, 2, 3].map(() =>
        handleOnce(database.knex, 'search', envelope, effect(envelope), { table: tables.inbox }),
      ),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await count(envelope)).toBe(1);
  });

  it('when the handler throws, then nothing is recorded and a redelivery runs it', async () => {
    const envelope = documentUpdated(randomUUID(), 1);

    await expect(
      handleOnce(database.knex, 'search', envelope, () => Promise.reject(new Error('db down')), {
        table: tables.inbox,
      }),
    ).rejects.toThrow('db down');
    const retried = await handleOnce(database.knex, 'search', envelope, effect(envelope), {
      table: tables.inbox,
    });

    expect(retried).toBe(true);
    expect(await count(envelope)).toBe(1);
  });

  it('when two consumers handle one event, then each runs once', async () => {
    const envelope = documentUpdated(randomUUID(), 1);

    const a = await handleOnce(database.knex, 'search', envelope, () => Promise.resolve(), {
      table: tables.inbox,
    });
    const b = await handleOnce(database.knex, 'webhook', envelope, () => Promise.resolve(), {
      table: tables.inbox,
    });

    expect([a, b]).toEqual([true, true]);
  });
});
