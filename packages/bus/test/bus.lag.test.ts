import { spawn } from 'node:child_process';
import path from 'node:path';
import type { AnyEnvelope } from '@readur/contracts';
import { createMetrics, type Metrics } from '@readur/metrics';
import { waitFor } from '@readur/testkit';
import { documentUpdated } from './support/envelope.factory';
import {
  amqpFixture,
  kafkaFixture,
  subscriptionName,
  type TransportFixture,
} from './support/transport.fixture';

const fixtures: [string, () => TransportFixture][] = [
  ['RabbitMQ', amqpFixture],
  ['Kafka', kafkaFixture],
];

/** The lag a scrape of `metrics` shows for `subscription`, read from the exposition text. */
async function scrapedLag(metrics: Metrics, subscription: string): Promise<number | undefined> {
  const text = await metrics.registry.getSingleMetricAsString('bus_consumer_lag_messages');
  const line = text.split('\n').find((entry) => entry.includes(`subscription="${subscription}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** A gate every handler run waits at until `open()`; `entered` counts the runs that reached it. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const state = { entered: 0, open: () => open() };
  const handler = async (_envelope: AnyEnvelope) => {
    state.entered += 1;
    await opened;
  };
  return { state, handler };
}

/** Runs support/lag.consumer.ts; resolves with its exit code and output once it exits. */
function runLagConsumer(fixture: TransportFixture, subscription: string) {
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'support', 'lag.consumer.ts')],
    {
      env: {
        ...process.env,
        LAG_CONSUMER: JSON.stringify({
          transport: fixture.transport,
          subscription,
          ...fixture.childSettings(),
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe.each(fixtures)('consumer lag over %s', (_name, makeFixture) => {
  const fixture = makeFixture();

  beforeAll(() => fixture.assertReachable());
  afterAll(() => fixture.cleanup(), 90_000);

  it('when the handler is held while events are published, then the gauge counts the ones waiting and falls to 0 once they are handled', async () => {
    const metrics = createMetrics('bus-test', {});
    const bus = fixture.createBus({ metrics, lagIntervalMs: 100 });
    const name = subscriptionName('lag');
    const { state, handler } = gate();
    await bus.subscribe({ name, events: ['document.updated'], handler });
    const published = 12;
    // RabbitMQ hands `prefetch` messages to the held handlers, which are no longer ready;
    // Kafka counts everything past the committed offset, the message being handled included.
    const prefetch = fixture.childSettings().amqp?.prefetch ?? 1;
    const waiting = fixture.transport === 'amqp' ? published - prefetch : published;
    const documentId = documentUpdated().data.document_id;

    for (let step = 0; step < published; step += 1) {
      await bus.publish(documentUpdated(documentId, step));
    }

    try {
      await waitFor(async () => (await scrapedLag(metrics, name)) === waiting, {
        description: `a lag of ${waiting} (now ${String(await scrapedLag(metrics, name))})`,
        timeoutMs: 30_000,
      });
      expect(state.entered).toBeGreaterThan(0);
    } finally {
      // Released whatever happened: cleanup closes the bus, which waits for held handlers.
      state.open();
    }
    await waitFor(async () => (await scrapedLag(metrics, name)) === 0, {
      description: 'a lag of 0 once handled',
      timeoutMs: 30_000,
    });
    expect((await metrics.busConsumerLag.get()).values).toEqual([
      { labels: { subscription: name, transport: fixture.transport }, value: 0 },
    ]);
  }, 90_000);

  it('when a process that sampled lag closes its bus, then it exits by itself: no lag timer is left', async () => {
    const run = runLagConsumer(fixture, subscriptionName('lag_exit'));

    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => run.child.kill('SIGKILL'), 45_000);
      run.child.once('exit', (exitCode) => {
        clearTimeout(kill);
        resolve(exitCode);
      });
    });

    expect({ code, output: run.output() }).toEqual({ code: 0, output: 'sampled\nclosed\n' });
  }, 60_000);
});
