import { createHmac } from 'node:crypto';
import net from 'node:net';
import type { AnyEnvelope } from '@readur/contracts';
import { delay, waitFor } from '@readur/testkit';
import { allNineEvents, documentCreated } from './support/event.factory';
import {
  deliveriesOf,
  newUser,
  startHarness,
  type DeliveryJson,
  type Harness,
  type WebhookJson,
} from './support/dispatcher.harness';
import { runPythonVerifier, startNodeReceiver } from './support/readme.snippets';
import { startSink, type Sink, type SinkRequest } from './support/sink.server';

const GLOBAL_SECRET = 'global-webhook-secret-0123456789';

const hmac = (secret: string, body: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function expectSignedBy(request: SinkRequest, secret: string, webhookId: string): void {
  expect(request.headers['x-readur-signature']).toBe(hmac(secret, request.body));
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['user-agent']).toMatch(/^Readur-Webhooks\/\d+\.\d+\.\d+$/);
  expect(request.headers['x-readur-event']).toBe(request.json.event);
  expect(Number(request.headers['x-readur-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
  expect(request.json.webhook_id).toBe(webhookId);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('deliveries of the documented events', () => {
  let harness: Harness;
  let globalSink: Sink;
  const sinks: Sink[] = [];

  const newSink = async () => {
    const sink = await startSink();
    sinks.push(sink);
    return sink;
  };

  beforeAll(async () => {
    globalSink = await newSink();
    harness = await startHarness({
      WEBHOOK_ENABLED: 'true',
      WEBHOOK_URL: globalSink.url,
      WEBHOOK_SECRET: GLOBAL_SECRET,
    });
  });

  afterAll(async () => {
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when each of the nine events is published, then every matching webhook gets exactly one signed delivery of it', async () => {
    const owner = newUser();
    const stranger = newUser();
    const admin = newUser('admin');
    const [ownerSink, ownerCreatedSink, strangerSink, adminSink] = await Promise.all([
      newSink(),
      newSink(),
      newSink(),
      newSink(),
    ]);
    const ownerAll = await harness.createWebhook(owner, { url: ownerSink.url, events: ['*'] });
    const ownerCreated = await harness.createWebhook(owner, {
      url: ownerCreatedSink.url,
      events: ['document.created'],
    });
    await harness.createWebhook(stranger, { url: strangerSink.url, events: ['*'] });
    const adminAll = await harness.createWebhook(admin, { url: adminSink.url, events: ['*'] });
    const events = allNineEvents(owner.id);
    const before = globalSink.requests.length;

    for (const envelope of events) await harness.publish(envelope);
    await globalSink.waitForCount(before + 9);
    await ownerSink.waitForCount(7);
    await adminSink.waitForCount(2);
    await ownerCreatedSink.waitForCount(1);
    await delay(1_500); // anything extra (a duplicate, a leak) would arrive within this

    const byEvent = (requests: SinkRequest[]) => requests.map((request) => request.json.event);
    const nine = events.map((envelope) => envelope.event);
    expect(byEvent(globalSink.requests.slice(before)).sort()).toEqual([...nine].sort());
    expect(byEvent(ownerSink.requests).sort()).toEqual(
      nine.filter((event) => !event.startsWith('user.')).sort(),
    );
    expect(byEvent(ownerCreatedSink.requests)).toEqual(['document.created']);
    expect(byEvent(adminSink.requests).sort()).toEqual(['user.created', 'user.login']);
    expect(strangerSink.requests).toHaveLength(0);

    const envelopeOf = (request: SinkRequest) =>
      events.find((envelope) => envelope.event === request.json.event) as AnyEnvelope;
    for (const request of globalSink.requests.slice(before)) {
      expectSignedBy(request, GLOBAL_SECRET, 'whk_global');
      expect(request.headers['x-readur-delivery']).toBe(envelopeOf(request).id);
      expect(request.json.timestamp).toBe(envelopeOf(request).timestamp);
    }
    for (const request of ownerSink.requests) {
      expectSignedBy(request, ownerAll.secret!, ownerAll.id);
      expect(request.headers['x-readur-delivery']).toBe(envelopeOf(request).id);
      expect(Object.keys(request.json).sort()).toEqual([
        'data',
        'event',
        'timestamp',
        'webhook_id',
      ]);
    }
    for (const request of adminSink.requests)
      expectSignedBy(request, adminAll.secret!, adminAll.id);
    expectSignedBy(ownerCreatedSink.requests[0]!, ownerCreated.secret!, ownerCreated.id);

    const ocr = ownerSink.requests.find((request) => request.json.event === 'ocr.completed');
    expect(ocr?.json.data).toMatchObject({ word_count: 3, confidence: 93.5 });
    expect(ocr?.json.data).not.toHaveProperty('page_results');
  });

  it('when the documented Python function checks real deliveries, then it accepts them and rejects forgeries', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    for (const envelope of allNineEvents(owner.id).slice(0, 3)) await harness.publish(envelope);
    const requests = await sink.waitForCount(3);

    const genuine = requests.map((request) => ({
      secret: webhook.secret!,
      body: request.body,
      signature: String(request.headers['x-readur-signature']),
    }));
    const first = genuine[0]!;
    const forged = [
      { ...first, body: Buffer.concat([first.body, Buffer.from(' ')]) },
      { ...first, secret: 'whsec_not-the-secret' },
      { ...first, signature: '' },
    ];
    const answers = await runPythonVerifier([...genuine, ...forged]);

    expect(answers).toEqual([true, true, true, false, false, false]);
  });

  it('when the documented Node receiver gets real deliveries, then it accepts them, drops a redelivery and refuses a forgery', async () => {
    const owner = newUser();
    const port = await freePort();
    const webhook = await harness.createWebhook(owner, {
      url: `http://127.0.0.1:${port}/`,
      events: ['document.created'],
    });
    const receiver = await startNodeReceiver(webhook.secret!, port);
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/`).then(() => true), {
        description: 'node receiver listening',
      });
      const envelopes = [documentCreated(owner.id, 1), documentCreated(owner.id, 2)];
      for (const envelope of envelopes) await harness.publish(envelope);

      const succeeded = await waitFor(async () => {
        const log = await deliveriesOf(harness, owner, webhook.id);
        return log.length === 2 && log.every((entry) => entry.status === 'succeeded')
          ? log
          : undefined;
      });
      expect(succeeded.map((entry) => entry.last_status_code)).toEqual([204, 204]);
      expect(receiver.handled.map((entry) => entry.delivery).sort()).toEqual(
        envelopes.map((envelope) => envelope.id).sort(),
      );

      const again = await harness.call(
        owner,
        'POST',
        `/api/webhooks/${webhook.id}/deliveries/${succeeded[0]!.id}/redeliver`,
      );
      expect(again.status).toBe(202);
      await waitFor(async () => {
        const log = await deliveriesOf(harness, owner, webhook.id);
        return log.find((entry) => entry.id === succeeded[0]!.id)?.attempts === 2;
      });
      expect(receiver.handled).toHaveLength(2);

      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'x-readur-signature': `sha256=${'0'.repeat(64)}` },
        body: '{"event":"document.created"}',
      });
      expect(forged.status).toBe(401);
    } finally {
      await receiver.stop();
    }
  });

  it('when the secret is rotated, then later deliveries are signed with the new secret only', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });

    const rotated = await harness.call(owner, 'POST', `/api/webhooks/${webhook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const { secret } = (await rotated.json()) as WebhookJson;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(webhook.secret);
    await harness.publish(documentCreated(owner.id));
    const [request] = await sink.waitForCount(1);

    expect(request!.headers['x-readur-signature']).toBe(hmac(secret!, request!.body));
    expect(request!.headers['x-readur-signature']).not.toBe(hmac(webhook.secret!, request!.body));
  });

  it('when a webhook is pinged, then it gets a signed webhook.ping and the answer tells the outcome', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });

    const response = await harness.call(owner, 'POST', `/api/webhooks/${webhook.id}/ping`);

    expect(response.status).toBe(200);
    const delivery = (await response.json()) as DeliveryJson;
    expect(delivery).toMatchObject({ event: 'webhook.ping', status: 'succeeded', attempts: 1 });
    expect(sink.requests).toHaveLength(1);
    expectSignedBy(sink.requests[0]!, webhook.secret!, webhook.id);
    expect(sink.requests[0]!.headers['x-readur-delivery']).toBe(delivery.event_id);
  });

  it('when the same event arrives twice on the bus, then it is delivered once', async () => {
    const owner = newUser();
    const sink = await newSink();
    await harness.createWebhook(owner, { url: sink.url, events: ['document.created'] });
    const envelope = documentCreated(owner.id);

    await harness.publish(envelope);
    await harness.publish(envelope);
    await sink.waitForCount(1);
    await delay(1_000);

    expect(sink.requests).toHaveLength(1);
  });
});
