import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createEnvelope, type AnyEnvelope } from '@readur/contracts';
import { currentCorrelationId, runWithContext } from '@readur/logger';
import { handleOnce, outboxMigration } from '@readur/outbox';
import { createTestDatabase, waitFor, type TestDatabase } from '@readur/testkit';
import { documentUpdated } from './support/envelope.factory';
import {
  amqpFixture,
  kafkaFixture,
  subscriptionName,
  waitForAll,
  type TransportFixture,
} from './support/transport.fixture';

const stepOf = (envelope: AnyEnvelope) =>
  envelope.event === 'document.updated' ? Number(envelope.data.title.split(' ')[1]) : -1;

const fixtures: [string, () => TransportFixture][] = [
  ['RabbitMQ', amqpFixture],
  ['Kafka', kafkaFixture],
];

describe.each(fixtures)('bus over %s', (_name, makeFixture) => {
  const fixture = makeFixture();

  beforeAll(() => fixture.assertReachable());
  afterAll(() => fixture.cleanup(), 90_000);

  it('when an event is published, then the subscriber gets it once, in its correlation context', async () => {
    const bus = fixture.createBus();
    const received: { envelope: AnyEnvelope; correlation?: string; transport: string }[] = [];
    await bus.subscribe({
      name: subscriptionName('publish'),
      events: ['document.updated'],
      handler: (envelope, delivery) => {
        received.push({
          envelope,
          correlation: currentCorrelationId(),
          transport: delivery.transport,
        });
        return Promise.resolve();
      },
    });
    const envelope = documentUpdated();

    await runWithContext({ correlation_id: envelope.correlation_id }, () => bus.publish(envelope));

    await waitFor(() => received.length === 1, { description: 'the event' });
    expect(received[0]).toMatchObject({
      envelope: { id: envelope.id },
      correlation: envelope.correlation_id,
      transport: fixture.transport,
    });
  });

  it('when a subscription does not list an event, then its handler never sees it', async () => {
    const bus = fixture.createBus();
    const seen: string[] = [];
    const documentId = randomUUID();
    await bus.subscribe({
      name: subscriptionName('filter'),
      events: ['document.updated'],
      handler: (envelope) => {
        if ('document_id' in envelope.data && envelope.data.document_id === documentId) {
          seen.push(envelope.event);
        }
        return Promise.resolve();
      },
    });

    await bus.publish(
      createEnvelope('ocr.started', { document_id: documentId, user_id: randomUUID(), attempt: 1 }),
    );
    await bus.publish(documentUpdated(documentId));

    await waitFor(() => seen.length === 1, { description: 'the subscribed event' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual(['document.updated']);
  });

  it('when one document gets many events, then they are handled in publish order', async () => {
    const bus = fixture.createBus();
    const seen = new Map<string, number[]>();
    await bus.subscribe({
      name: subscriptionName('order'),
      events: ['document.updated'],
      handler: (envelope) => {
        if (envelope.event !== 'document.updated') return Promise.resolve();
        const steps = seen.get(envelope.data.document_id) ?? [];
        seen.set(envelope.data.document_id, [...steps, stepOf(envelope)]);
        return new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      },
    });
    const documents = [randomUUID(), randomUUID()];

    for (let step = 0; step < 40; step += 1) {
      await bus.publish(documentUpdated(documents[step % 2], step));
    }

    await waitFor(() => documents.every((id) => seen.get(id)?.length === 20), {
      description: '20 events per document',
    });
    for (const id of documents) {
      const steps = seen.get(id) ?? [];
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
  });

  it('when a message is not JSON or breaks the schema, then it is dead-lettered and consuming goes on', async () => {
    const bus = fixture.createBus();
    const name = subscriptionName('poison');
    const handled: string[] = [];
    const badData = { ...documentUpdated(), data: { document_id: 'not-a-uuid' } };
    const valid = documentUpdated();
    await bus.subscribe({
      name,
      events: ['document.updated'],
      handler: (envelope) => {
        handled.push(envelope.id);
        return Promise.resolve();
      },
    });

    await fixture.publishRaw('document.updated', Buffer.from('{not json'));
    await fixture.publishRaw('document.updated', Buffer.from(JSON.stringify(badData)));
    await bus.publish(valid);

    await waitFor(() => handled.includes(valid.id), { description: 'the valid event' });
    const ours = [Buffer.from('{not json').toString(), JSON.stringify(badData)];
    const letters = await waitFor(
      async () => {
        const found = (await fixture.deadLetters(name)).filter((l) => ours.includes(l.body));
        return found.length >= 2 ? found : undefined;
      },
      { description: 'two dead letters', timeoutMs: 15_000 },
    );
    expect(letters.map((letter) => letter.body)).toEqual(
      expect.arrayContaining(['{not json', JSON.stringify(badData)]),
    );
    expect(letters.map((letter) => letter.reason).join('\n')).toMatch(/not JSON/);
    expect(letters.map((letter) => letter.reason).join('\n')).toMatch(
      /invalid document.updated data/,
    );
    // Kafka: a new group reads the run's topic from its start, so earlier tests' events show up.
    expect(handled).toContain(valid.id);
    expect(handled).not.toContain(badData.id);
  });

  it('when a handler always throws, then it is retried with backoff and dead-lettered', async () => {
    const bus = fixture.createBus();
    const name = subscriptionName('throws');
    const attempts: number[] = [];
    const envelope = documentUpdated();
    await bus.subscribe({
      name,
      events: ['document.updated'],
      retry: { maxAttempts: 3, backoffMs: [50, 100] },
      handler: (received, delivery) => {
        if (received.id !== envelope.id) return Promise.resolve();
        attempts.push(delivery.attempt);
        return Promise.reject(new Error('storage unavailable'));
      },
    });

    await bus.publish(envelope);

    const letters = await waitFor(
      async () => {
        const found = (await fixture.deadLetters(name)).filter((l) => l.body.includes(envelope.id));
        return found.length >= 1 ? found : undefined;
      },
      { description: 'the dead letter', timeoutMs: 15_000 },
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(letters[0]?.reason).toMatch(/gave up after 3 attempts: storage unavailable/);
    expect(JSON.parse(letters[0]?.body ?? '{}')).toMatchObject({ id: envelope.id });
  });

  it('when a handler answers dead-letter, then the message goes to the dead letters at once', async () => {
    const bus = fixture.createBus();
    const name = subscriptionName('refuse');
    let calls = 0;
    const envelope = documentUpdated();
    await bus.subscribe({
      name,
      events: ['document.updated'],
      handler: (received) => {
        if (received.id !== envelope.id) return Promise.resolve();
        calls += 1;
        return Promise.resolve({ kind: 'dead-letter' as const, reason: 'document is encrypted' });
      },
    });

    await bus.publish(envelope);

    const letters = await waitFor(
      async () => {
        const found = (await fixture.deadLetters(name)).filter((l) => l.body.includes(envelope.id));
        return found.length >= 1 ? found : undefined;
      },
      { description: 'the dead letter', timeoutMs: 15_000 },
    );
    expect(letters[0]?.reason).toBe('document is encrypted');
    expect(calls).toBe(1);
  });

  it('when the bus closes while a handler runs, then the handler still publishes its result before close resolves', async () => {
    const bus = fixture.createBus();
    const observer = fixture.createBus();
    const trigger = documentUpdated();
    const result = documentUpdated();
    const seenResults: string[] = [];
    await observer.subscribe({
      name: subscriptionName('drain-observer'),
      events: ['document.updated'],
      handler: (received) => {
        if (received.id === result.id) seenResults.push(received.id);
        return Promise.resolve();
      },
    });
    let started = false;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let publishError: unknown;
    await bus.subscribe({
      name: subscriptionName('drain'),
      events: ['document.updated'],
      handler: async (received) => {
        if (received.id !== trigger.id) return;
        started = true;
        await released;
        await bus.publish(result).catch((error: unknown) => (publishError = error));
      },
    });

    await bus.publish(trigger);
    await waitFor(() => started, { description: 'the handler to start' });
    const closing = bus.close();
    setTimeout(release, 300);
    await closing;

    expect(publishError).toBeUndefined();
    await waitFor(() => seenResults.length === 1, { description: 'the published result' });
    await expect(bus.publish(documentUpdated())).rejects.toMatchObject({ code: 'BUS_CLOSED' });
  });

  describe('when the consumer process dies mid-message', () => {
    let database: TestDatabase;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      database = await createTestDatabase('bus_crash');
      await outboxMigration().up(database.knex);
      await database.knex.schema.createTable('effect', (t) => t.uuid('event_id'));
    });

    afterAll(async () => {
      child?.kill('SIGKILL');
      await database.drop();
    });

    it('then the message is redelivered and, through the inbox, has one effect', async () => {
      const name = subscriptionName('crash');
      const output: string[] = [];
      const envelope = documentUpdated();
      child = spawnCrashConsumer(fixture, name, database.url, envelope.data.document_id, output);
      await waitFor(() => output.join('').includes('subscribed'), {
        description: 'the child consumer to subscribe',
        timeoutMs: 40_000,
      });
      const publisher = fixture.createBus();

      await publisher.publish(envelope);
      await waitFor(() => output.join('').includes(`handled ${envelope.id}`), {
        description: 'the child to handle the event',
        timeoutMs: 20_000,
      });
      child.kill('SIGKILL');

      const redelivered: boolean[] = [];
      const survivor = fixture.createBus();
      await survivor.subscribe({
        name,
        events: ['document.updated'],
        handler: async (redelivery) => {
          if (redelivery.id !== envelope.id) return;
          const ran = await handleOnce(database.knex, name, redelivery, async (trx) => {
            await trx('effect').insert({ event_id: redelivery.id });
          });
          redelivered.push(ran);
        },
      });

      await waitFor(() => redelivered.length === 1, {
        description: 'the redelivery',
        timeoutMs: 40_000,
      });
      const effects = await database.knex('effect').where('event_id', envelope.id);
      expect(redelivered).toEqual([false]);
      expect(effects).toHaveLength(1);
    });
  });

  it('when the broker restarts during publishing, then no confirmed message is lost', async () => {
    const broker = await fixture.restartableBroker();
    const bus = fixture.createBus({ broker, publishTimeoutMs: 60_000 });
    try {
      const received = new Set<string>();
      await bus.subscribe({
        name: subscriptionName('restart'),
        events: ['document.updated'],
        handler: (envelope) => {
          received.add(envelope.id);
          return Promise.resolve();
        },
      });
      const confirmed: string[] = [];
      let restarted = false;
      let afterRestart = 0;
      const publishing = (async () => {
        for (let step = 0; !restarted || afterRestart < 20; step += 1) {
          const envelope = documentUpdated(undefined, step);
          await bus.publish(envelope);
          confirmed.push(envelope.id);
          if (restarted) afterRestart += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      await waitFor(() => confirmed.length >= 20, { description: '20 confirmed publishes' });
      await broker.restart();
      restarted = true;
      await publishing;

      await waitForAll(received, confirmed, 60_000);
      expect(confirmed.filter((id) => !received.has(id))).toEqual([]);
    } finally {
      // Closed while its broker still runs: a kafkajs consumer whose broker is gone keeps
      // retrying on timers after disconnect(), which would hold the test process open.
      await bus.close();
      await broker.dispose();
    }
  }, 150_000);
});

function spawnCrashConsumer(
  fixture: TransportFixture,
  subscription: string,
  databaseUrl: string,
  documentId: string,
  output: string[],
): ChildProcess {
  const support = path.join(__dirname, 'support');
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('tsx/cjs'), path.join(support, 'crash.consumer.ts')],
    {
      env: {
        ...process.env,
        CRASH_CONSUMER: JSON.stringify({
          transport: fixture.transport,
          subscription,
          databaseUrl,
          documentId,
          ...fixture.childSettings(),
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return child;
}
