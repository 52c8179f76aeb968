import { delay, waitFor } from '@readur/testkit';
import { RESPONSE_BODY_LIMIT } from '../src/data/endpoint.client';
import { documentCreated } from './support/event.factory';
import {
  deliveriesOf,
  freePort,
  newUser,
  startHarness,
  type DeliveryJson,
  type Harness,
  type TestUser,
} from './support/dispatcher.harness';
import {
  startSink,
  startStreamingSink,
  type Sink,
  type SinkAnswer,
  type StreamingSink,
} from './support/sink.server';

const TIMEOUT_SECONDS = 2;
const BREAKER_COOLDOWN_SECONDS = 3;
/** Well past the longest first retry delay (600 ms) and a poll (100 ms). */
const NO_RETRY_WINDOW_MS = 1_200;

describe('retry policy and isolation', () => {
  let harness: Harness;
  const sinks: (Sink | StreamingSink)[] = [];

  const newSink = async (answer?: (index: number) => SinkAnswer, port?: number) => {
    const sink = await startSink(answer, { port });
    sinks.push(sink);
    return sink;
  };

  /** A user with one webhook on `sink` (or a URL), for `document.created`. */
  const subscribe = async (sink: { url: string }) => {
    const user = newUser();
    const webhook = await harness.createWebhook(user, {
      url: sink.url,
      events: ['document.created'],
    });
    return { user, webhook };
  };

  const finalDeliveries = (user: TestUser, webhookId: string, count: number) =>
    waitFor(
      async () => {
        const log = await deliveriesOf(harness, user, webhookId);
        const final = log.filter((entry) => entry.status !== 'pending');
        return final.length === count && log.length === count ? log : undefined;
      },
      { timeoutMs: 30_000, description: `${count} final deliveries of ${webhookId}` },
    );

  beforeAll(async () => {
    harness = await startHarness({
      WEBHOOK_RETRY_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_DELAY_MS: '600',
      WEBHOOK_TIMEOUT: String(TIMEOUT_SECONDS),
      WEBHOOK_BREAKER_THRESHOLD: '3',
      WEBHOOK_BREAKER_COOLDOWN_SECONDS: String(BREAKER_COOLDOWN_SECONDS),
    });
  });

  afterAll(async () => {
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when the endpoint answers 400, then it is sent exactly once and the delivery is dead', async () => {
    const sink = await newSink(() => ({ status: 400 }));
    const { user, webhook } = await subscribe(sink);

    await harness.publish(documentCreated(user.id));
    const [delivery] = await finalDeliveries(user, webhook.id, 1);
    await delay(NO_RETRY_WINDOW_MS); // a retry, were there one, would come after 450–600 ms

    expect(sink.requests).toHaveLength(1);
    expect(delivery).toMatchObject({ status: 'dead', attempts: 1, last_status_code: 400 });
    expect(delivery!.attempt_log).toEqual([
      expect.objectContaining({
        attempt: 1,
        status_code: 400,
        outcome: 'dead',
        next_retry_at: null,
      }),
    ]);
  });

  it.each([404, 410])(
    'when the endpoint answers %d, then it is sent exactly once and the delivery is dead',
    async (status) => {
      const sink = await newSink(() => ({ status }));
      const { user, webhook } = await subscribe(sink);

      await harness.publish(documentCreated(user.id));
      const [delivery] = await finalDeliveries(user, webhook.id, 1);
      await delay(NO_RETRY_WINDOW_MS);

      expect(sink.requests).toHaveLength(1);
      expect(delivery).toMatchObject({
        status: 'dead',
        attempts: 1,
        last_status_code: status,
        last_error: `HTTP ${status}`,
      });
    },
  );

  it.each([408, 425])(
    'when the endpoint answers %d once, then the delivery is retried and succeeds on the second attempt',
    async (status) => {
      const sink = await newSink((index) => ({ status: index === 0 ? status : 200 }));
      const { user, webhook } = await subscribe(sink);

      await harness.publish(documentCreated(user.id));
      const [delivery] = await finalDeliveries(user, webhook.id, 1);

      expect(sink.requests).toHaveLength(2);
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 });
      expect(delivery!.attempt_log!.map((entry) => [entry.status_code, entry.outcome])).toEqual([
        [status, 'retry'],
        [200, 'succeeded'],
      ]);
    },
  );

  it('when the port is closed, then the refused connection is retried and delivered once something listens there', async () => {
    const port = await freePort();
    const { user, webhook } = await subscribe({ url: `http://127.0.0.1:${port}/hook` });

    await harness.publish(documentCreated(user.id));
    const [refused] = await waitFor(async () => {
      const log = await deliveriesOf(harness, user, webhook.id);
      return log[0]?.attempts ? log : undefined;
    });
    const sink = await newSink(undefined, port);
    const [delivery] = await finalDeliveries(user, webhook.id, 1);

    expect(refused).toMatchObject({ status: 'pending', last_status_code: null });
    expect(refused!.last_error).toMatch(/^connection: ECONNREFUSED/);
    expect(delivery).toMatchObject({ status: 'succeeded', last_status_code: 200 });
    const log = delivery!.attempt_log!;
    expect(log.length).toBeGreaterThanOrEqual(2);
    for (const entry of log.slice(0, -1)) {
      expect(entry).toMatchObject({ status_code: null, outcome: 'retry' });
      expect(entry.error).toMatch(/^connection: ECONNREFUSED/);
    }
    expect(log.at(-1)).toMatchObject({ status_code: 200, outcome: 'succeeded' });
    expect(sink.requests).toHaveLength(1);
  });

  it.each([301, 302, 307, 308])(
    'when the endpoint answers %d, then the redirect is not followed and the delivery is dead after one request',
    async (status) => {
      const target = await newSink();
      const sink = await newSink(() => ({ status, headers: { Location: target.url } }));
      const { user, webhook } = await subscribe(sink);

      await harness.publish(documentCreated(user.id));
      const [delivery] = await finalDeliveries(user, webhook.id, 1);
      await delay(NO_RETRY_WINDOW_MS);

      expect(sink.requests).toHaveLength(1);
      expect(target.requests).toHaveLength(0);
      expect(delivery).toMatchObject({
        status: 'dead',
        attempts: 1,
        last_status_code: status,
        last_error: `HTTP ${status}`,
      });
    },
  );

  it('when the endpoint answers 200 with a huge body, then the dispatcher reads only its limit, cuts the connection and the delivery succeeds', async () => {
    const BODY = 256 * 1024 * 1024;
    const sink = await startStreamingSink(BODY);
    sinks.push(sink);
    const { user, webhook } = await subscribe(sink);

    await harness.publish(documentCreated(user.id));
    const [delivery] = await finalDeliveries(user, webhook.id, 1);
    await sink.firstResponseClosed;

    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200 });
    expect(sink.requests()).toBe(1);
    // What the sink got off its hands is the read limit plus what the kernel's socket buffers
    // on both ends held when the dispatcher closed; reading it all would be 256 MiB.
    expect(sink.bytesWritten()).toBeGreaterThan(RESPONSE_BODY_LIMIT);
    expect(sink.bytesWritten()).toBeLessThan(BODY / 8);
  });

  it('when the endpoint answers 503, 503, 200, then it gets 3 requests with growing gaps and the delivery succeeds', async () => {
    const sink = await newSink((index) => ({ status: index < 2 ? 503 : 200 }));
    const { user, webhook } = await subscribe(sink);
    const envelope = documentCreated(user.id);

    await harness.publish(envelope);
    const [delivery] = await finalDeliveries(user, webhook.id, 1);

    expect(sink.requests).toHaveLength(3);
    const [first, second, third] = sink.requests.map((request) => request.at) as [
      number,
      number,
      number,
    ];
    // Delays are [0.75, 1)·600 ms, then [0.75, 1)·1200 ms; polling adds at most 100 ms.
    expect(second - first).toBeGreaterThanOrEqual(450);
    expect(third - second).toBeGreaterThanOrEqual(900);
    expect(third - second).toBeGreaterThan(second - first);
    expect(sink.requests.map((request) => request.headers['x-readur-delivery'])).toEqual([
      envelope.id,
      envelope.id,
      envelope.id,
    ]);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200 });
    expect(delivery!.attempt_log!.map((entry) => [entry.status_code, entry.outcome])).toEqual([
      [503, 'retry'],
      [503, 'retry'],
      [200, 'succeeded'],
    ]);
    expect(delivery!.attempt_log![0]!.next_retry_at).not.toBeNull();
  });

  it('when the endpoint answers 429 with Retry-After: 2, then the second attempt comes no earlier than 2 s later', async () => {
    const sink = await newSink((index) =>
      index === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 },
    );
    const { user, webhook } = await subscribe(sink);

    await harness.publish(documentCreated(user.id));
    const [delivery] = await finalDeliveries(user, webhook.id, 1);

    expect(sink.requests).toHaveLength(2);
    expect(sink.requests[1]!.at - sink.requests[0]!.at).toBeGreaterThanOrEqual(2_000);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('when one endpoint hangs, then its attempts time out per WEBHOOK_TIMEOUT while another endpoint gets every delivery meanwhile', async () => {
    const hanging = await newSink(() => 'hang');
    const healthy = await newSink();
    const user = newUser();
    const hung = await harness.createWebhook(user, { url: hanging.url, events: ['*'] });
    await harness.createWebhook(user, { url: healthy.url, events: ['*'] });

    for (let i = 0; i < 5; i += 1) await harness.publish(documentCreated(user.id, i));
    await healthy.waitForCount(5);
    const firstTimeouts = await waitFor(
      async () => {
        const log = await deliveriesOf(harness, user, hung.id);
        const tried = log.filter((entry) => (entry.attempt_log ?? []).length > 0);
        return tried.length === 5 ? tried : undefined;
      },
      { timeoutMs: 20_000, description: 'a first attempt of every hung delivery' },
    );

    const firstHungAt = Math.min(...hanging.requests.map((request) => request.at));
    const lastHealthyAt = Math.max(...healthy.requests.map((request) => request.at));
    expect(lastHealthyAt).toBeLessThan(firstHungAt + TIMEOUT_SECONDS * 1000);
    for (const entry of firstTimeouts) {
      const attempt = entry.attempt_log![0]!;
      expect(attempt.error).toMatch(/timeout/);
      expect(attempt.status_code).toBeNull();
      expect(attempt.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
      // Generous: it only proves the timeout ended the attempt, not how fast anything is.
      expect(attempt.duration_ms).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
    }
  });

  it('when an endpoint keeps failing, then its breaker opens and nothing is sent until the cooldown ends, without using up attempts', async () => {
    const sink = await newSink((index) => ({ status: index < 3 ? 500 : 200 }));
    const { user, webhook } = await subscribe(sink);

    for (let i = 0; i < 3; i += 1) await harness.publish(documentCreated(user.id, i));
    await sink.waitForCount(3);
    for (let i = 3; i < 6; i += 1) await harness.publish(documentCreated(user.id, i));
    const log = await finalDeliveries(user, webhook.id, 6);

    const times = sink.requests.map((request) => request.at).sort((a, b) => a - b);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(BREAKER_COOLDOWN_SECONDS * 1000 - 50);
    expect(sink.requests).toHaveLength(9);
    expect(log.every((entry: DeliveryJson) => entry.status === 'succeeded')).toBe(true);
    expect(log.map((entry: DeliveryJson) => entry.attempts).sort()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('when a delivery is dead after its last attempt, then a redelivery by hand sends it again with the same delivery id', async () => {
    const sink = await newSink((index) => ({ status: index < 3 ? 502 : 200 }));
    const { user, webhook } = await subscribe(sink);
    const envelope = documentCreated(user.id);

    await harness.publish(envelope);
    const [dead] = await finalDeliveries(user, webhook.id, 1);
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, last_status_code: 502 });
    expect(dead!.last_error).toMatch(/no attempts left/);

    const response = await harness.call(
      user,
      'POST',
      `/api/webhooks/${webhook.id}/deliveries/${dead!.id}/redeliver`,
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ id: dead!.id, status: 'pending' });
    const [redelivered] = await finalDeliveries(user, webhook.id, 1);

    expect(redelivered).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(sink.requests.map((request) => request.headers['x-readur-delivery'])).toEqual(
      Array.from({ length: 4 }, () => envelope.id),
    );
  });
});
