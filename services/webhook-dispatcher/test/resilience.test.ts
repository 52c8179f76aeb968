import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { delay, waitFor } from '@readur/testkit';
import { documentCreated } from './support/event.factory';
import {
  newUser,
  startHarness,
  type DispatcherProcess,
  type Harness,
  type WebhookJson,
} from './support/dispatcher.harness';
import { startSink, type Sink } from './support/sink.server';

const run = promisify(execFile);
const BURST = 150;

interface DeliveryRow {
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
}

/** Every (webhook, event) pair a burst must deliver, as `webhook_id/event_id`. */
const expectedKeys = (webhooks: WebhookJson[], eventIds: string[]) =>
  webhooks.flatMap((webhook) => eventIds.map((id) => `${webhook.id}/${id}`)).sort();

const receivedKeys = (sinks: Sink[]) =>
  sinks
    .flatMap((sink) => sink.unique())
    .map((request) => `${request.json.webhook_id}/${String(request.headers['x-readur-delivery'])}`)
    .sort();

const total = (sinks: Sink[]) => sinks.reduce((sum, sink) => sum + sink.requests.length, 0);

describe('restarts in the middle of the work', () => {
  let harness: Harness;
  let dispatcher: DispatcherProcess | undefined;
  const sinks: Sink[] = [];

  const newSink = async (...args: Parameters<typeof startSink>) => {
    const sink = await startSink(...args);
    sinks.push(sink);
    return sink;
  };

  /** Replaces the running dispatcher process with a new one on the same database and queues. */
  const respawn = async () => {
    dispatcher = await harness.spawnDispatcher();
    harness.baseUrl = dispatcher.baseUrl;
  };

  beforeAll(async () => {
    harness = await startHarness({
      WEBHOOK_RETRY_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_DELAY_MS: '2000',
      WEBHOOK_TIMEOUT: '2',
      WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT: '4',
    });
    await harness.stopDispatcher();
    await respawn();
  });

  afterAll(async () => {
    await dispatcher?.kill();
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when the dispatcher is killed between two attempts, then the scheduled retry still happens, once', async () => {
    const sink = await newSink((index) => ({ status: index === 0 ? 503 : 200 }));
    const user = newUser();
    const webhook = await harness.createWebhook(user, { url: sink.url, events: ['*'] });
    const row = () =>
      harness.knex('webhook_deliveries').where({ webhook_id: webhook.id }).first() as Promise<
        DeliveryRow | undefined
      >;

    await harness.publish(documentCreated(user.id));
    const scheduled = await waitFor(
      async () => {
        const delivery = await row();
        return delivery?.attempts === 1 && delivery.status === 'pending' ? delivery : undefined;
      },
      { intervalMs: 20, description: 'the first attempt recorded with a retry scheduled' },
    );
    await dispatcher!.kill();
    expect(scheduled.next_attempt_at!.getTime()).toBeGreaterThan(Date.now());
    expect(sink.requests).toHaveLength(1);

    await respawn();
    await waitFor(async () => (await row())?.status === 'succeeded', { timeoutMs: 20_000 });
    await delay(1_000);

    expect(sink.requests).toHaveLength(2);
    expect(sink.requests[1]!.at - sink.requests[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(await row()).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('when the dispatcher is killed in the middle of a burst, then no delivery is lost and repeats carry the same delivery id', async () => {
    const user = newUser();
    const burstSinks = [await newSink(), await newSink()];
    const webhooks = [
      await harness.createWebhook(user, { url: burstSinks[0]!.url, events: ['*'] }),
      await harness.createWebhook(user, { url: burstSinks[1]!.url, events: ['document.created'] }),
    ];
    const events = Array.from({ length: BURST }, (_, i) => documentCreated(user.id, i));

    const publishing = (async () => {
      for (const envelope of events) await harness.publish(envelope);
    })();
    await waitFor(() => total(burstSinks) >= BURST / 2, { description: 'a part of the burst' });
    await dispatcher!.kill();
    const beforeRestart = total(burstSinks);
    await respawn();
    await publishing;
    const expected = expectedKeys(
      webhooks,
      events.map((envelope) => envelope.id),
    );
    await waitFor(() => receivedKeys(burstSinks).length >= expected.length, {
      timeoutMs: 60_000,
      description: 'every delivery of the burst',
    });

    // Attempts cut off by the kill are sent again once their lease ends (same delivery id).
    const states = await waitFor(
      async () => {
        const rows: { status: string }[] = await harness
          .knex('webhook_deliveries')
          .whereIn(
            'webhook_id',
            webhooks.map((webhook) => webhook.id),
          )
          .select('status');
        return rows.every((row) => row.status === 'succeeded') ? rows : undefined;
      },
      { timeoutMs: 30_000, description: 'every delivery recorded as succeeded' },
    );

    expect(beforeRestart).toBeLessThan(expected.length);
    expect(states).toHaveLength(expected.length);
    expect(receivedKeys(burstSinks)).toEqual(expected);
  });

  it('when RabbitMQ restarts in the middle of a burst, then no delivery is lost and none is doubled beyond its delivery id', async () => {
    const user = newUser();
    const burstSinks = [await newSink(), await newSink()];
    const webhooks = [
      await harness.createWebhook(user, { url: burstSinks[0]!.url, events: ['*'] }),
      await harness.createWebhook(user, { url: burstSinks[1]!.url, events: ['*'] }),
    ];
    const events = Array.from({ length: BURST }, (_, i) => documentCreated(user.id, i));
    let published = 0;

    const publishing = (async () => {
      for (const envelope of events) {
        await harness.publish(envelope);
        published += 1;
      }
    })();
    await waitFor(() => published >= BURST / 3, { description: 'a third of the burst published' });
    try {
      await run('rabbitmqctl', ['stop_app']);
      await delay(2_000);
    } finally {
      await run('rabbitmqctl', ['start_app']);
    }
    await publishing;
    const expected = expectedKeys(
      webhooks,
      events.map((envelope) => envelope.id),
    );
    await waitFor(() => receivedKeys(burstSinks).length >= expected.length, {
      timeoutMs: 60_000,
      description: 'every delivery of the burst',
    });
    await delay(1_000);

    expect(receivedKeys(burstSinks)).toEqual(expected);
  });
});
