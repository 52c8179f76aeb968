import net from 'node:net';
import { createEnvelope } from '@readur/contracts';
import { delay, waitFor } from '@readur/testkit';
import type { HostResolver } from '../src';
import { createSecretCipher } from '../src/domain/secret.cipher';
import { documentCreated } from './support/event.factory';
import {
  ENCRYPTION_KEY,
  deliveriesOf,
  newUser,
  startHarness,
  type Harness,
  type TestUser,
  type WebhookJson,
} from './support/dispatcher.harness';
import { startSink, type Sink } from './support/sink.server';

interface ErrorJson {
  error: string;
  code: string;
  request_id: string;
}

/** A webhook as GET shows it to `user`. */
const fetchWebhook = async (harness: Harness, user: TestUser, id: string) =>
  (await (await harness.call(user, 'GET', `/api/webhooks/${id}`)).json()) as WebhookJson;

const userLogin = (userId: string) =>
  createEnvelope('user.login', {
    user_id: userId,
    username: 'someone',
    method: 'password',
    logged_in_at: new Date().toISOString(),
  });

describe('the subscription API', () => {
  let harness: Harness;
  const sinks: Sink[] = [];

  const newSink = async (...args: Parameters<typeof startSink>) => {
    const sink = await startSink(...args);
    sinks.push(sink);
    return sink;
  };

  beforeAll(async () => {
    harness = await startHarness({ WEBHOOK_RETRY_ATTEMPTS: '2' });
  });

  afterAll(async () => {
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when a webhook is created, then it answers 201 with a whk_ id and the secret once, stored only encrypted', async () => {
    const owner = newUser();
    const response = await harness.call(owner, 'POST', '/api/webhooks', {
      url: 'https://hooks.example.com/readur',
      events: ['document.created', 'ocr.completed'],
      description: 'chat',
    });

    expect(response.status).toBe(201);
    const created = (await response.json()) as WebhookJson;
    expect(created).toMatchObject({
      url: 'https://hooks.example.com/readur',
      events: ['document.created', 'ocr.completed'],
      description: 'chat',
      enabled: true,
      user_id: owner.id,
    });
    expect(created.id).toMatch(/^whk_[0-9a-f]{24}$/);
    expect(created.secret).toMatch(/^whsec_/);

    const fetched = (await (
      await harness.call(owner, 'GET', `/api/webhooks/${created.id}`)
    ).json()) as WebhookJson;
    expect(fetched.secret).toBeUndefined();
    const row = (await harness.knex('webhooks').where({ id: created.id }).first()) as {
      secret_ciphertext: string;
    };
    expect(row.secret_ciphertext).not.toContain(created.secret!.slice(6));
    expect(row.secret_ciphertext).toMatch(/^v1:/);
    expect(createSecretCipher(ENCRYPTION_KEY).decrypt(row.secret_ciphertext, created.id)).toBe(
      created.secret,
    );
    expect(() =>
      createSecretCipher(`${ENCRYPTION_KEY}-other`).decrypt(row.secret_ciphertext, created.id),
    ).toThrow();
  });

  it('when input is invalid, then the answer is 400 VALIDATION_FAILED in the error shape', async () => {
    const owner = newUser();
    const bodies = [
      { url: 'https://a.example.com', events: ['document.exploded'] },
      { url: 'https://a.example.com', events: ['*', 'document.created'] },
      { url: 'https://a.example.com', events: [] },
      { url: 'ftp://a.example.com', events: ['*'] },
      { events: ['*'] },
    ];

    for (const body of bodies) {
      const response = await harness.call(owner, 'POST', '/api/webhooks', body);
      expect(response.status).toBe(400);
      const error = (await response.json()) as ErrorJson;
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        request_id: expect.any(String) as string,
      });
    }
  });

  it('when another user asks for a webhook, then every route answers 404 and nothing changes', async () => {
    const owner = newUser();
    const stranger = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/webhooks/${webhook.id}`],
      ['PATCH', `/api/webhooks/${webhook.id}`, { enabled: false }],
      ['DELETE', `/api/webhooks/${webhook.id}`],
      ['POST', `/api/webhooks/${webhook.id}/rotate-secret`],
      ['POST', `/api/webhooks/${webhook.id}/ping`],
      ['GET', `/api/webhooks/${webhook.id}/deliveries`],
      ['POST', `/api/webhooks/${webhook.id}/deliveries/dlv_000000000000000000000000/redeliver`],
    ];

    for (const [method, route, body] of routes) {
      const response = await harness.call(stranger, method, route, body);
      expect([method, route, response.status]).toEqual([method, route, 404]);
      expect(((await response.json()) as ErrorJson).code).toBe('WEBHOOK_NOT_FOUND');
    }
    const list = (await (await harness.call(stranger, 'GET', '/api/webhooks')).json()) as {
      webhooks: WebhookJson[];
    };
    expect(list.webhooks).toEqual([]);
    expect(sink.requests).toHaveLength(0);
    const still = (await (
      await harness.call(owner, 'GET', `/api/webhooks/${webhook.id}`)
    ).json()) as WebhookJson;
    expect(still.enabled).toBe(true);
  });

  it('when an admin asks, then they see any webhook and its deliveries', async () => {
    const owner = newUser();
    const admin = newUser('admin');
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    await harness.publish(documentCreated(owner.id));
    await sink.waitForCount(1);

    const one = await harness.call(admin, 'GET', `/api/webhooks/${webhook.id}`);
    const list = (await (await harness.call(admin, 'GET', '/api/webhooks')).json()) as {
      webhooks: WebhookJson[];
    };

    expect(one.status).toBe(200);
    expect(list.webhooks.map((entry) => entry.id)).toContain(webhook.id);
    const log = await waitFor(async () => {
      const entries = await deliveriesOf(harness, admin, webhook.id);
      return entries[0]?.status === 'succeeded' ? entries : undefined;
    });
    expect(log).toHaveLength(1);
  });

  it('when the gateway trust headers are missing or forged, then the answer is 401', async () => {
    const user = newUser();
    const noToken = await fetch(`${harness.baseUrl}/api/webhooks`, {
      headers: { 'X-User-Id': user.id, 'X-User-Role': 'admin' },
    });
    const wrongToken = await fetch(`${harness.baseUrl}/api/webhooks`, {
      headers: { ...user.headers, 'X-Internal-Token': 'not-the-internal-token-xxxx' },
    });

    expect(noToken.status).toBe(401);
    expect(wrongToken.status).toBe(401);
    expect(((await wrongToken.json()) as ErrorJson).code).toBe('UNAUTHORIZED');
  });

  it('when a webhook is disabled, then it gets nothing until enabled again; deleted, it is gone', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    const patch = (body: unknown) =>
      harness.call(owner, 'PATCH', `/api/webhooks/${webhook.id}`, body);

    expect((await patch({ enabled: false })).status).toBe(200);
    await harness.publish(documentCreated(owner.id, 1));
    await delay(800);
    expect(sink.requests).toHaveLength(0);

    const enabled = (await (
      await patch({ enabled: true, events: ['document.created'] })
    ).json()) as WebhookJson;
    expect(enabled).toMatchObject({ enabled: true, events: ['document.created'] });
    await harness.publish(documentCreated(owner.id, 2));
    await sink.waitForCount(1);
    expect(sink.requests[0]!.json.data.title).toBe('Document 2');

    expect((await harness.call(owner, 'DELETE', `/api/webhooks/${webhook.id}`)).status).toBe(204);
    expect((await harness.call(owner, 'GET', `/api/webhooks/${webhook.id}`)).status).toBe(404);
    expect(await harness.knex('webhook_deliveries').where({ webhook_id: webhook.id })).toEqual([]);
  });

  it('when the url is changed with PATCH, then the next attempt goes to the new URL only', async () => {
    const owner = newUser();
    const before = await newSink(() => ({ status: 503 }));
    const after = await newSink();
    const webhook = await harness.createWebhook(owner, { url: before.url, events: ['*'] });
    const envelope = documentCreated(owner.id);
    await harness.publish(envelope);
    await before.waitForCount(1);

    const response = await harness.call(owner, 'PATCH', `/api/webhooks/${webhook.id}`, {
      url: after.url,
    });

    expect(response.status).toBe(200);
    expect(((await response.json()) as WebhookJson).url).toBe(after.url);
    expect((await fetchWebhook(harness, owner, webhook.id)).url).toBe(after.url);
    const [retried] = await after.waitForCount(1);
    expect(retried!.headers['x-readur-delivery']).toBe(envelope.id);
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(harness, owner, webhook.id);
      return log[0]?.status === 'succeeded' ? log : undefined;
    });
    expect(delivery!.attempts).toBe(2);
    expect(before.requests).toHaveLength(1);
  });

  it('when PATCH sets a url that is no URL, then it is 400 VALIDATION_FAILED and the url stays', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });

    const response = await harness.call(owner, 'PATCH', `/api/webhooks/${webhook.id}`, {
      url: 'not a url',
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorJson).code).toBe('VALIDATION_FAILED');
    expect((await fetchWebhook(harness, owner, webhook.id)).url).toBe(sink.url);
  });

  it('when the owner becomes an admin and updates the webhook, then it starts getting user.* events', async () => {
    const owner = newUser();
    const sink = await newSink();
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    await harness.publish(userLogin(owner.id));
    await harness.publish(documentCreated(owner.id));
    await sink.waitForCount(1);
    await delay(500);
    expect(sink.requests.map((request) => request.json.event)).toEqual(['document.created']);

    const promoted = { ...owner, headers: { ...owner.headers, 'X-User-Role': 'admin' } };
    await harness.call(promoted, 'PATCH', `/api/webhooks/${webhook.id}`, {
      description: 'now admin',
    });
    await harness.publish(userLogin(newUser().id));
    await sink.waitForCount(2);

    expect(sink.requests[1]!.json.event).toBe('user.login');
  });

  it('when a delivery is still pending, then a redelivery is refused with 409', async () => {
    const owner = newUser();
    const sink = await newSink(() => 'hang');
    const webhook = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    await harness.publish(documentCreated(owner.id));
    await sink.waitForCount(1);
    const [pending] = await deliveriesOf(harness, owner, webhook.id);

    const response = await harness.call(
      owner,
      'POST',
      `/api/webhooks/${webhook.id}/deliveries/${pending!.id}/redeliver`,
    );

    expect(pending!.status).toBe('pending');
    expect(response.status).toBe(409);
    expect(((await response.json()) as ErrorJson).code).toBe('DELIVERY_IN_PROGRESS');
  });
});

describe('server-side request forgery protection (WEBHOOK_ALLOW_PRIVATE_TARGETS and WEBHOOK_ALLOW_HTTP off)', () => {
  let strict: Harness;
  let globalSink: Sink;

  beforeAll(async () => {
    globalSink = await startSink();
    strict = await startHarness({
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
      WEBHOOK_ALLOW_HTTP: 'false',
      WEBHOOK_RETRY_ATTEMPTS: '3',
      WEBHOOK_ENABLED: 'true',
      WEBHOOK_URL: globalSink.url,
      WEBHOOK_SECRET: 'operator-secret-0123456789',
    });
  });

  afterAll(async () => {
    await strict?.close();
    await globalSink?.close();
  });

  it.each([
    ['plain http', 'http://hooks.example.com/x', /only https/],
    ['loopback v4', 'https://127.0.0.1/x', /loopback/],
    ['loopback v6', 'https://[::1]/x', /loopback/],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x', /loopback/],
    ['private', 'https://10.1.2.3/x', /private/],
    ['private 192.168', 'https://192.168.0.10/x', /private/],
    ['link-local', 'https://169.254.10.10/x', /linkLocal/],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data', /metadata/],
    ['unspecified', 'https://0.0.0.0/x', /unspecified/],
    ['credentials', 'https://user:pass@hooks.example.com/x', /credentials/],
  ])(
    'when the URL is %s, then creating it is 400 WEBHOOK_URL_FORBIDDEN',
    async (_name, url, reason) => {
      const response = await strict.call(newUser(), 'POST', '/api/webhooks', {
        url,
        events: ['*'],
      });

      expect(response.status).toBe(400);
      const error = (await response.json()) as ErrorJson;
      expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(error.error).toMatch(reason);
    },
  );

  it('when a host name resolves to loopback when it is saved, then creating it is 400 WEBHOOK_URL_FORBIDDEN', async () => {
    const response = await strict.call(newUser(), 'POST', '/api/webhooks', {
      url: 'https://localhost/hook',
      events: ['*'],
    });

    expect(response.status).toBe(400);
    const error = (await response.json()) as ErrorJson;
    expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
    expect(error.error).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
  });

  it.each([
    ['plain http', 'http://hooks.example.test/x', /only https/],
    ['loopback', 'https://127.0.0.1/x', /loopback/],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data', /metadata/],
    ['a name of loopback', 'https://localhost/x', /resolves to .* loopback/],
    ['credentials', 'https://user:pass@hooks.example.test/x', /credentials/],
  ])(
    'when PATCH sets a url that is %s, then it is 400 WEBHOOK_URL_FORBIDDEN and the url stays',
    async (_name, url, reason) => {
      const owner = newUser();
      // .test names never resolve, so this one is accepted when saved and checked at each connect.
      const webhook = await strict.createWebhook(owner, {
        url: 'https://hooks.example.test/readur',
        events: ['*'],
      });

      const response = await strict.call(owner, 'PATCH', `/api/webhooks/${webhook.id}`, { url });

      expect(response.status).toBe(400);
      const error = (await response.json()) as ErrorJson;
      expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(error.error).toMatch(reason);
      expect((await fetchWebhook(strict, owner, webhook.id)).url).toBe(
        'https://hooks.example.test/readur',
      );
    },
  );

  it('when the operator webhook is on loopback, then it is trusted and still delivered', async () => {
    const owner = newUser();

    await strict.publish(documentCreated(owner.id));

    const delivered = await waitFor(() =>
      globalSink.requests.find((request) => request.json.data.user_id === owner.id),
    );
    expect(delivered.json.webhook_id).toBe('whk_global');
  });

  it('when an admin tries to change the operator webhook, then it is 409 WEBHOOK_MANAGED_BY_OPERATOR', async () => {
    const admin = newUser('admin');
    const seen = await strict.call(admin, 'GET', '/api/webhooks/whk_global');
    const changed = await strict.call(admin, 'PATCH', '/api/webhooks/whk_global', {
      enabled: false,
    });

    expect(seen.status).toBe(200);
    expect(((await seen.json()) as WebhookJson).global).toBe(true);
    expect(changed.status).toBe(409);
    expect(((await changed.json()) as ErrorJson).code).toBe('WEBHOOK_MANAGED_BY_OPERATOR');
    expect((await strict.call(newUser(), 'GET', '/api/webhooks/whk_global')).status).toBe(404);
  });
});

/**
 * Stands in for the system resolver, a third party the test cannot steer: `getaddrinfo` reads
 * /etc/hosts and /etc/resolv.conf, so no DNS server a test starts on loopback can answer it.
 * Each name has a list of answers, handed out in turn (the last one repeats); a name starting
 * with `hangs.` never answers; other names do not resolve.
 */
function scriptedResolver(answers: Record<string, string[][]>) {
  const asked: string[] = [];
  const resolver: HostResolver = (hostname) => {
    asked.push(hostname);
    if (hostname.startsWith('hangs.')) return new Promise(() => undefined);
    const script = answers[hostname];
    if (!script) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      });
      return Promise.reject(error);
    }
    const turn = asked.filter((name) => name === hostname).length;
    const addresses = script[Math.min(turn, script.length) - 1] ?? [];
    return Promise.resolve(addresses.map((address) => ({ address, family: net.isIP(address) })));
  };
  return { resolver, asked: (hostname: string) => asked.filter((name) => name === hostname) };
}

describe('DNS rebinding (WEBHOOK_ALLOW_PRIVATE_TARGETS off, http allowed so a sink on loopback could answer)', () => {
  const PUBLIC = '93.184.216.34';
  const dns = scriptedResolver({
    'rebind.example.test': [[PUBLIC], ['127.0.0.1']],
    'intranet.example.test': [['10.0.0.7']],
    'mixed.example.test': [[PUBLIC, '192.168.1.20']],
  });
  let guarded: Harness;
  let sink: Sink;

  beforeAll(async () => {
    sink = await startSink();
    guarded = await startHarness(
      { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_ALLOW_HTTP: 'true' },
      { resolver: dns.resolver },
    );
  });

  afterAll(async () => {
    await guarded?.close();
    await sink?.close();
  });

  it('when a name resolves to a public address when saved and to loopback at connect time, then the delivery is refused on the resolved address and dead', async () => {
    const owner = newUser();
    const { port } = new URL(sink.url);
    const webhook = await guarded.createWebhook(owner, {
      url: `http://rebind.example.test:${port}/hook`,
      events: ['*'],
    });
    expect(dns.asked('rebind.example.test')).toHaveLength(1);

    await guarded.publish(documentCreated(owner.id));
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(guarded, owner, webhook.id);
      return log[0]?.status === 'dead' ? log : undefined;
    });

    expect(dns.asked('rebind.example.test')).toHaveLength(2);
    expect(delivery).toMatchObject({ status: 'dead', attempts: 1, last_status_code: null });
    expect(delivery!.last_error).toBe(
      'forbidden: address 127.0.0.1 is loopback; webhooks may not call it',
    );
    expect(delivery!.attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, status_code: null, outcome: 'dead' }),
    ]);
    expect(sink.requests).toHaveLength(0);
  });

  it.each([
    [
      'a private address',
      'intranet.example.test',
      /intranet\.example\.test resolves to 10\.0\.0\.7, which is private/,
    ],
    [
      'a public and a private address',
      'mixed.example.test',
      /resolves to 192\.168\.1\.20, which is private/,
    ],
  ])(
    'when a name resolves to %s when saved, then creating it is 400 WEBHOOK_URL_FORBIDDEN',
    async (_name, host, reason) => {
      const response = await guarded.call(newUser(), 'POST', '/api/webhooks', {
        url: `http://${host}/hook`,
        events: ['*'],
      });

      expect(response.status).toBe(400);
      const error = (await response.json()) as ErrorJson;
      expect(error.code).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(error.error).toMatch(reason);
    },
  );

  it('when the lookup of a name never answers, then saving it does not wait for it: it is accepted as not resolving yet', async () => {
    const response = await guarded.call(newUser(), 'POST', '/api/webhooks', {
      url: 'http://hangs.example.test/hook',
      events: ['*'],
    });

    expect(response.status).toBe(201);
    expect(dns.asked('hangs.example.test')).toHaveLength(1);
  });

  it('when a name does not resolve yet, then it is accepted and its delivery fails as a connection error', async () => {
    const owner = newUser();
    const webhook = await guarded.createWebhook(owner, {
      url: 'http://not-yet.example.test/hook',
      events: ['document.created'],
    });

    await guarded.publish(documentCreated(owner.id));
    const [tried] = await waitFor(async () => {
      const log = await deliveriesOf(guarded, owner, webhook.id);
      return log[0]?.attempts ? log : undefined;
    });

    expect(tried!.last_error).toMatch(/connection: ENOTFOUND/);
  });
});
