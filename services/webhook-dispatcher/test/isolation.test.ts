import { waitFor } from '@readur/testkit';
import { GLOBAL_WEBHOOK_ID } from '../src';
import { documentCreated } from './support/event.factory';
import { freePort, newUser, startHarness, type Harness } from './support/dispatcher.harness';
import { startSink, type Sink, type SinkAnswer } from './support/sink.server';

const LIMIT = 3;
const BREAKER_THRESHOLD = 2;
const BREAKER_COOLDOWN_SECONDS = 2;

/** One sample of a Prometheus text exposition: its labels and value. */
interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of `name` in a `/metrics` answer (label values without escapes, as ids are). */
function samplesOf(exposition: string, name: string): Sample[] {
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`);
  return exposition.split('\n').flatMap((text) => {
    const match = line.exec(text);
    if (!match) return [];
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    ) as Record<string, string>;
    return [{ labels, value: Number(match[2]) }];
  });
}

describe('isolation per endpoint, as deliveries and /metrics show it', () => {
  let harness: Harness;
  let globalSink: Sink;
  let metricsUrl: string;
  const sinks: Sink[] = [];

  const newSink = async (answer?: (index: number) => SinkAnswer) => {
    const sink = await startSink(answer);
    sinks.push(sink);
    return sink;
  };

  /** `webhook_endpoint_circuit_open` by webhook id, from the real `/metrics`. */
  const circuitOpen = async (): Promise<Record<string, number>> => {
    const exposition = await (await fetch(metricsUrl)).text();
    const samples = samplesOf(exposition, 'webhook_endpoint_circuit_open');
    return Object.fromEntries(
      samples.map((sample) => [sample.labels.webhook_id ?? '', sample.value] as const),
    );
  };

  beforeAll(async () => {
    globalSink = await newSink();
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    harness = await startHarness({
      PROMETHEUS_ENABLED: 'true',
      PROMETHEUS_PORT: String(metricsPort),
      WEBHOOK_ENABLED: 'true',
      WEBHOOK_URL: globalSink.url,
      WEBHOOK_SECRET: 'isolation-global-secret-0123456789',
      WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT: String(LIMIT),
      WEBHOOK_BREAKER_THRESHOLD: String(BREAKER_THRESHOLD),
      WEBHOOK_BREAKER_COOLDOWN_SECONDS: String(BREAKER_COOLDOWN_SECONDS),
      WEBHOOK_RETRY_ATTEMPTS: '5',
      WEBHOOK_RETRY_BASE_DELAY_MS: '300',
    });
  });

  afterAll(async () => {
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when a burst goes to a slow endpoint, then it never has more than the limit in flight and another endpoint gets its deliveries meanwhile', async () => {
    const BURST = 15;
    const slow = await newSink(() => ({ status: 200, delayMs: 300 }));
    const fast = await newSink();
    const busy = newUser();
    const other = newUser();
    await harness.createWebhook(busy, { url: slow.url, events: ['document.created'] });
    await harness.createWebhook(other, { url: fast.url, events: ['document.created'] });

    for (let i = 0; i < BURST; i += 1) await harness.publish(documentCreated(busy.id, i));
    for (let i = 0; i < 5; i += 1) await harness.publish(documentCreated(other.id, i));
    await fast.waitForCount(5);
    const slowCountWhenFastWasDone = slow.requests.length;
    await slow.waitForCount(BURST, 30_000);

    expect(slow.peakInFlight()).toBe(LIMIT);
    expect(slowCountWhenFastWasDone).toBeLessThan(BURST);
    expect(fast.requests).toHaveLength(5);
    expect(slow.unique()).toHaveLength(BURST);
  });

  it('when one endpoint keeps failing, then webhook_endpoint_circuit_open is 1 for it only, and 0 again once a trial succeeds', async () => {
    let failing = true;
    const broken = await newSink(() => ({ status: failing ? 500 : 200 }));
    const healthy = await newSink();
    const user = newUser();
    const dead = await harness.createWebhook(user, { url: broken.url, events: ['*'] });
    const fine = await harness.createWebhook(user, { url: healthy.url, events: ['*'] });

    for (let i = 0; i < BREAKER_THRESHOLD; i += 1) {
      await harness.publish(documentCreated(user.id, i));
    }
    await broken.waitForCount(BREAKER_THRESHOLD);
    await healthy.waitForCount(BREAKER_THRESHOLD);
    const open = await waitFor(async () => {
      const gauge = await circuitOpen();
      return gauge[dead.id] === 1 ? gauge : undefined;
    });

    expect(open[fine.id]).toBe(0);
    expect(open[GLOBAL_WEBHOOK_ID]).toBe(0);

    failing = false;
    const closed = await waitFor(
      async () => {
        const gauge = await circuitOpen();
        return gauge[dead.id] === 0 ? gauge : undefined;
      },
      { timeoutMs: 20_000, description: 'the breaker closed after its cooldown' },
    );

    expect(closed[fine.id]).toBe(0);
    expect(broken.requests.length).toBeGreaterThan(BREAKER_THRESHOLD);
    expect(
      broken.requests.at(-1)!.at - broken.requests[BREAKER_THRESHOLD - 1]!.at,
    ).toBeGreaterThanOrEqual(BREAKER_COOLDOWN_SECONDS * 1000 - 50);
  });

  it('when a webhook whose breaker is open is deleted, then its webhook_endpoint_circuit_open series goes away', async () => {
    const broken = await newSink(() => ({ status: 500 }));
    const user = newUser();
    const doomed = await harness.createWebhook(user, { url: broken.url, events: ['*'] });
    for (let i = 0; i < BREAKER_THRESHOLD; i += 1) {
      await harness.publish(documentCreated(user.id, 100 + i));
    }
    await waitFor(async () => (await circuitOpen())[doomed.id] === 1, {
      description: 'the breaker open',
    });

    const deleted = await harness.call(user, 'DELETE', `/api/webhooks/${doomed.id}`);
    expect(deleted.status).toBe(204);

    await waitFor(async () => !(doomed.id in (await circuitOpen())), {
      timeoutMs: 20_000,
      description: 'the series of the deleted webhook gone',
    });
    expect((await circuitOpen())[GLOBAL_WEBHOOK_ID]).toBe(0);
  });
});
