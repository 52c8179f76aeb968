import { createAmqpBus, type Bus } from '@readur/bus';
import { createEnvelope, EVENT } from '@readur/contracts';
import { createLogger } from '@readur/logger';
import { testStack, type Stack } from '@readur/stack';
import { amqpUrl, waitFor } from '@readur/testkit';
import { loadGatewayConfig } from '../src/config';
import { startGateway, type RunningGateway } from '../src/service';
import {
  connectAs,
  openLive,
  type LiveClientOptions,
  type LiveMessage,
  type TestLiveClient,
} from './support/live.client';

const local = testStack('live');
const { runId, exchange } = local;
const silent = createLogger('live-test', 'silent');

interface User {
  id: string;
  token: string;
}

let stack: Stack;
let second: RunningGateway;
let secondUrl: string;
let beating: RunningGateway;
let beatingUrl: string;
let publisher: Bus;
let alice: User;
let bob: User;
const clients: TestLiveClient[] = [];

async function signUp(username: string): Promise<User> {
  const json = { 'content-type': 'application/json' };
  const password = `pw-${username}-Long-enough-1`;
  const body = JSON.stringify({ username, email: `${username}@example.test`, password });
  const register = await fetch(`${stack.gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: json,
    body,
  });
  expect(register.status).toBe(201);
  const login = await fetch(`${stack.gatewayUrl}/api/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password }),
  });
  const { token, user } = (await login.json()) as { token: string; user: { id: string } };
  return { id: user.id, token };
}

async function upload(user: User, text: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([text]), 'note.txt');
  const res = await fetch(`${stack.gatewayUrl}/api/documents/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}` },
    body: form,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Keeps the client so afterAll closes it. */
async function live(url: string, user: User, options?: LiveClientOptions): Promise<TestLiveClient> {
  const client = await connectAs(url, user.token, options);
  clients.push(client);
  return client;
}

function documentUpdated(user: User, title: string) {
  return createEnvelope(EVENT.documentUpdated, {
    document_id: '00000000-0000-4000-8000-00000000000d',
    user_id: user.id,
    title,
    labels: [],
    changes: ['title'],
    updated_at: new Date().toISOString(),
  });
}

const forDocument = (id: string) => (message: LiveMessage) => message.data?.document_id === id;

beforeAll(async () => {
  stack = await local.start({
    env: { LOG_LEVEL: 'info', LIVE_MAX_BUFFERED_KB: '256', LIVE_AUTH_TIMEOUT_SECONDS: '2' },
  });
  const urlOf = (name: string) => stack.services.find((s) => s.name === name)?.url ?? '';
  const replica = (env: Record<string, string> = {}) =>
    startGateway(
      loadGatewayConfig({
        PORT: '0',
        AUTH_SERVICE_URL: urlOf('auth'),
        DOCUMENT_SERVICE_URL: stack.documentUrl,
        INTERNAL_API_TOKEN: stack.internalToken,
        AMQP_URL: amqpUrl(),
        AMQP_EXCHANGE: exchange,
        AMQP_QUEUE: exchange,
        PROMETHEUS_ENABLED: 'false',
        RATE_LIMIT_ENABLED: 'false',
        ...env,
      }),
      { logger: silent },
    );
  second = await replica();
  secondUrl = `http://127.0.0.1:${second.port}`;
  // A replica of its own: a short heartbeat would cut off the paused client of the
  // slow-consumer test before its buffer fills. Two seconds, not one: this replica and its
  // clients share the test's event loop, and a loaded machine can stall it for a second.
  beating = await replica({ LIVE_HEARTBEAT_SECONDS: '2' });
  beatingUrl = `http://127.0.0.1:${beating.port}`;
  publisher = createAmqpBus(
    { url: amqpUrl(), exchange, prefetch: 8 },
    { service: 'live-test', logger: silent },
  );
  [alice, bob] = [await signUp(`alice_${runId}`), await signUp(`bob_${runId}`)];
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await publisher?.close();
  await second?.close();
  await beating?.close();
  await local.dispose();
}, 60_000);

describe('when users upload while subscribed to live events', () => {
  it('then each gets its own ocr.completed, pushed, and never the other user’s events', async () => {
    const aliceClient = await live(stack.gatewayUrl, alice);
    const bobClient = await live(stack.gatewayUrl, bob);
    aliceClient.send({ type: 'subscribe', events: ['ocr.completed'] });
    await waitFor(() => aliceClient.messages.some((m) => m.type === 'subscribed'), {
      description: 'the subscribe answer',
    });

    const uploadedAt = Date.now();
    const aliceDocument = await upload(alice, `Live events note of alice ${runId}`);
    const bobDocument = await upload(bob, `Live events note of bob ${runId}`);

    const completed = await waitFor(() => aliceClient.events().find(forDocument(aliceDocument)), {
      description: "alice's ocr.completed",
      timeoutMs: 90_000,
    });
    await waitFor(
      () =>
        bobClient.events().find((m) => forDocument(bobDocument)(m) && m.event === 'ocr.completed'),
      { description: "bob's ocr.completed", timeoutMs: 90_000 },
    );
    const pushedAfterMs = completed.receivedAt - Date.parse(completed.timestamp ?? '');
    console.log(
      `live event latency: upload→ocr.completed ${completed.receivedAt - uploadedAt} ms, ` +
        `event published→client ${pushedAfterMs} ms`,
    );
    expect(completed).toMatchObject({ event: 'ocr.completed', data: { user_id: alice.id } });
    expect(Object.keys(completed).sort()).toEqual(['data', 'event', 'receivedAt', 'timestamp']);
    expect(completed.data).not.toHaveProperty('page_results');
    // The issue asks for "within a second" of the worker publishing it (the envelope's
    // timestamp is taken as the worker hands the event to the bus); the figure is printed
    // above (tens of milliseconds here). The test only bounds it loosely: a loaded CI machine
    // must not turn a speed figure into a failure.
    expect(pushedAfterMs).toBeLessThan(10_000);
    expect(aliceClient.events().map((m) => m.event)).toEqual(['ocr.completed']);
    expect(aliceClient.events().filter((m) => m.data?.user_id !== alice.id)).toEqual([]);
    expect(bobClient.events().filter((m) => m.data?.user_id !== bob.id)).toEqual([]);
    expect(bobClient.events().map((m) => m.event)).toContain('document.created');
  }, 150_000);
});

describe('when a client does not authenticate properly', () => {
  it('then without a token it is closed 4401 after the auth timeout', async () => {
    const client = await openLive(stack.gatewayUrl, ['readur.v1']);

    expect(await client.closed).toEqual({ code: 4401, reason: 'authentication timed out' });
  });

  it('then with a bad token in the handshake it is closed 4401', async () => {
    const client = await openLive(stack.gatewayUrl, ['readur.v1', 'bearer.not.a.token']);

    expect((await client.closed).code).toBe(4401);
  });

  it('then with a bad token in the first message it is closed 4401', async () => {
    const client = await openLive(stack.gatewayUrl, ['readur.v1']);

    client.send({ type: 'auth', token: `${alice.token.slice(0, -4)}AAAA` });

    expect((await client.closed).code).toBe(4401);
  });

  it('then a good token in the first message is accepted, and the protocol answered', async () => {
    const client = await openLive(stack.gatewayUrl, ['readur.v1']);
    clients.push(client);

    client.send({ type: 'auth', token: alice.token });

    await waitFor(() => client.messages.find((m) => m.type === 'ready'), { description: 'ready' });
    expect(client.ws.protocol).toBe('readur.v1');
  });
});

describe('when a client subscribes to unknown event types', () => {
  it('then it gets an error message, keeps its filter and stays connected', async () => {
    const client = await live(stack.gatewayUrl, alice);

    client.send({ type: 'subscribe', events: ['ocr.completed', 'no.such.event'] });
    client.send('not json');
    client.send({ type: 'subscribe', events: ['document.updated'] });
    await waitFor(() => client.messages.some((m) => m.type === 'subscribed'), {
      description: 'the valid subscribe answer',
    });
    await publisher.publish(documentUpdated(alice, 'after the filter'));

    await waitFor(() => client.events().length === 1, { description: 'the filtered event' });
    expect(client.messages.filter((m) => m.type === 'error').map((m) => m.code)).toEqual([
      'UNKNOWN_EVENT',
      'BAD_MESSAGE',
    ]);
    expect(client.messages.find((m) => m.code === 'UNKNOWN_EVENT')?.events).toEqual([
      'no.such.event',
    ]);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });
});

describe('when a client stops reading', () => {
  it('then it is closed 4408 while another client of the same user keeps receiving', async () => {
    const slow = await live(stack.gatewayUrl, alice);
    const fast = await live(stack.gatewayUrl, alice);
    for (const client of [slow, fast])
      client.send({ type: 'subscribe', events: ['document.updated'] });
    await waitFor(
      () => [slow, fast].every((c) => c.messages.some((m) => m.type === 'subscribed')),
      {
        description: 'both subscribed',
      },
    );
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(64 * 1024);
    const count = 300;

    for (let i = 0; i < count; i += 1)
      await publisher.publish(documentUpdated(alice, `${i} ${big}`));

    await waitFor(() => fast.events().length === count, {
      description: `${count} events at the reading client`,
      timeoutMs: 120_000,
    });
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slow.closed).toEqual({ code: 4408, reason: 'too slow' });
    expect(slow.events().length).toBeLessThan(count);
  }, 180_000);
});

describe('when the gateway pings every two seconds (LIVE_HEARTBEAT_SECONDS=2)', () => {
  it('then a client that does not answer the pings is cut off, without a close frame', async () => {
    const deaf = await live(beatingUrl, alice, { autoPong: false });
    let closed: { code: number; reason: string } | undefined;
    void deaf.closed.then((value) => (closed = value));

    await waitFor(() => closed, { description: 'the unanswering client cut off' });

    // Terminated, as a dead peer would be: the client sees 1006 (abnormal closure).
    expect(closed).toEqual({ code: 1006, reason: '' });
    expect(deaf.pings.length).toBeGreaterThanOrEqual(1);
    expect(deaf.pings.length).toBeLessThanOrEqual(2);
  });

  it('then a client that answers stays connected across several heartbeats and receives events', async () => {
    const client = await live(beatingUrl, alice);

    await waitFor(() => client.pings.length >= 3, {
      description: 'three heartbeats',
      timeoutMs: 20_000,
    });
    await waitFor(
      async () => {
        // The replica's transient queue may still be being declared.
        await publisher.publish(documentUpdated(alice, 'after three heartbeats'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        return client.events().length > 0;
      },
      { description: 'an event after the heartbeats', timeoutMs: 30_000 },
    );

    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(client.events()[0]).toMatchObject({ event: 'document.updated' });
  });
});

describe('when two gateway replicas run', () => {
  it('then each delivers the event to its own clients', async () => {
    const onFirst = await live(stack.gatewayUrl, alice);
    const onSecond = await live(secondUrl, alice);
    const bobOnSecond = await live(secondUrl, bob);
    const envelope = documentUpdated(alice, 'to both replicas');

    await waitFor(
      async () => {
        // The second replica's transient queue may still be being declared.
        await publisher.publish(envelope);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return [onFirst, onSecond].every((c) => c.events().length > 0);
      },
      { description: 'the event at both replicas', timeoutMs: 30_000 },
    );

    expect(onSecond.events()[0]).toMatchObject({
      event: 'document.updated',
      data: { user_id: alice.id },
    });
    expect(bobOnSecond.events()).toEqual([]);
  });
});
