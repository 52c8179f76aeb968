import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import {
  SignJWT,
  decodeJwt,
  exportSPKI,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
  type KeyLike,
  type JWTPayload,
} from 'jose';
import { DEFAULT_RETRY } from '@readur/bus';
import { createLogger } from '@readur/logger';
import { amqpUrl, createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
// The services behind the gateway, started in-process; they have no package entry for tests.
import { loadDocumentConfig, startDocumentService } from '../../document/src';
import { loadWebhookConfig, startWebhookDispatcher } from '../../webhook-dispatcher/src';
import { loadSyncConfig, startSyncService } from '../../sync/src';
import { authTestConfig, startTestAuth } from '../../auth/test/support/auth.fixture';
import { call, signIn, type SignedIn } from '../../auth/test/support/stack.fixture';
import { ROUTES, type Resource, type RouteSpec } from '../src/domain/route.table';
import { INTERNAL_TOKEN, startTestGateway } from './support/gateway.fixture';

const ADMIN = { username: 'root', password: 'root-password-for-tests' };
const exchange = uniqueName('gateway_isolation');
const queuePrefix = uniqueName('iso');
const stops: Array<() => Promise<void>> = [];
let database: TestDatabase;
let gw: string;
let alice: SignedIn;
let bob: SignedIn;
let admin: SignedIn;
let aliceReadKey: string;
const owned: Partial<Record<Resource, string>> = {};
let forge: Forgeries;

type Forgeries = Record<
  'expired' | 'algNone' | 'hs256WithPublicKey' | 'otherAudience' | 'otherIssuer' | 'tamperedKid',
  string
>;

async function deleteQueues(): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    for (const name of ['document', 'webhook-dispatcher']) {
      const queue = `${queuePrefix}.${name}`;
      const retries = [...new Set(DEFAULT_RETRY.backoffMs)].map((ms) => `${queue}.retry.${ms}ms`);
      for (const each of [queue, `${queue}.dlq`, ...retries]) await channel.deleteQueue(each);
    }
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

async function startServices(): Promise<string> {
  database = await createTestDatabase('gateway_isolation');
  const shared = {
    DATABASE_URL: database.url,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: queuePrefix,
  };
  const storage = await mkdtemp(path.join(os.tmpdir(), 'readur-isolation-'));
  stops.push(() => rm(storage, { recursive: true, force: true }));
  const logger = createLogger('isolation', 'silent');

  const auth = await startTestAuth(
    authTestConfig(database.url, exchange, {
      INTERNAL_API_TOKEN: INTERNAL_TOKEN,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    }),
  );
  stops.push(() => auth.close());
  const document = await startDocumentService(
    loadDocumentConfig({ ...shared, STORAGE_PATH: storage }),
  );
  stops.push(() => document.close());
  const webhook = await startWebhookDispatcher(
    loadWebhookConfig({ ...shared, WEBHOOK_ENCRYPTION_KEY: 'isolation-test-key-0123456789abcdef' }),
    { logger },
  );
  stops.push(() => webhook.close());
  const sync = await startSyncService(
    loadSyncConfig({
      ...shared,
      DOCUMENT_SERVICE_URL: `http://127.0.0.1:${document.port}`,
      SYNC_ENCRYPTION_KEY: 'isolation-test-key-0123456789abcdef',
    }),
    { logger },
  );
  stops.push(() => sync.close());
  const gateway = await startTestGateway(auth.url, {
    SYNC_SERVICE_URL: `http://127.0.0.1:${sync.port}`,
    DOCUMENT_SERVICE_URL: `http://127.0.0.1:${document.port}`,
    WEBHOOK_SERVICE_URL: `http://127.0.0.1:${webhook.port}`,
    RATE_LIMIT_ENABLED: 'false',
  });
  stops.push(() => gateway.close());
  return gateway.url;
}

/** Alice's resources: one of each kind a route can name. */
async function createAliceResources(): Promise<void> {
  const form = new FormData();
  form.append(
    'file',
    new Blob(['isolation test text of alice\n'], { type: 'text/plain' }),
    'a.txt',
  );
  const upload = await fetch(`${gw}/api/documents/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}` },
    body: form,
  });
  owned.document = ((await upload.json()) as { id: string }).id;
  const hook = await call(gw, 'POST', '/api/webhooks', {
    bearer: alice.token,
    body: { url: 'https://hooks.example.test/readur', events: ['document.created'] },
  });
  owned.webhook = hook.body.id as string;
  const source = await call(gw, 'POST', '/api/sources', {
    bearer: alice.token,
    body: {
      name: 'nextcloud',
      source_type: 'webdav',
      enabled: false,
      config: { server_url: 'https://dav.example.test/remote.php/dav', username: 'alice' },
    },
  });
  owned.source = source.body.id as string;
  const key = await call(gw, 'POST', '/api/auth/keys', {
    bearer: alice.token,
    body: { name: 'reader', scope: 'read' },
  });
  owned.api_key = key.body.id as string;
  aliceReadKey = key.body.key as string;
  owned.user = alice.id;
}

/** Tokens an attacker tries, and a genuine but expired one, all naming Alice's live session. */
async function forgeTokens(): Promise<Forgeries> {
  const row = await database
    .knex('signing_keys')
    .orderBy('activates_at', 'desc')
    .first<{ kid: string; private_key_pem: string; public_jwk: JWK }>();
  const realKey = await importPKCS8(row.private_key_pem, 'ES256');
  const claims = decodeJwt(alice.token);
  const now = Math.floor(Date.now() / 1000);
  const sign = (key: Parameters<SignJWT['sign']>[0], payload: JWTPayload, kid = row.kid) =>
    new SignJWT({ ...claims, exp: now + 600, ...payload })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(key);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = encode({ ...claims, exp: now + 600 });
  const publicPem = await exportSPKI((await importJWK(row.public_jwk, 'ES256')) as KeyLike);
  const hsInput = `${encode({ alg: 'HS256', typ: 'JWT', kid: row.kid })}.${body}`;
  const attacker = await generateKeyPair('ES256');

  return {
    expired: await sign(realKey, { iat: now - 1200, exp: now - 60 }),
    algNone: `${encode({ alg: 'none', typ: 'JWT', kid: row.kid })}.${body}.`,
    hs256WithPublicKey: `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
    otherAudience: await sign(realKey, { aud: 'another-api' }),
    otherIssuer: await sign(realKey, { iss: 'https://evil.example' }),
    tamperedKid: await sign(attacker.privateKey, {}),
  };
}

beforeAll(async () => {
  gw = await startServices();
  admin = await signIn(gw, ADMIN);
  alice = await signIn(gw);
  bob = await signIn(gw);
  await createAliceResources();
  forge = await forgeTokens();
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await database?.drop();
  await deleteQueues().catch(() => undefined);
});

/** The route's path with its parameters filled: Alice's resource, else a fresh uuid. */
function concrete(route: RouteSpec): string {
  return route.path
    .replace(':id', (route.resource && owned[route.resource]) ?? randomUUID())
    .replace(':delivery_id', randomUUID());
}

// A body each service accepts, so an answer is about who asks and not about the input.
const PATCH_BODY: Record<string, unknown> = {
  document: { title: 'changed by someone' },
  webhook: { description: 'changed by someone' },
  sync: { name: 'changed by someone' },
  auth: { email: null },
};

function request(route: RouteSpec, bearer?: string) {
  const body = route.method === 'PATCH' ? PATCH_BODY[route.upstream] : {};
  return call(gw, route.method, concrete(route), {
    bearer,
    body: route.method === 'GET' || route.method === 'DELETE' ? undefined : body,
  });
}

const NOT_FOUND_CODE: Record<Resource, string> = {
  document: 'DOCUMENT_NOT_FOUND',
  webhook: 'WEBHOOK_NOT_FOUND',
  source: 'SOURCE_NOT_FOUND',
  api_key: 'API_KEY_NOT_FOUND',
  user: 'USER_NOT_FOUND',
};

const guarded = ROUTES.filter((route) => route.access !== 'public');
const label = (route: RouteSpec) => `${route.method} ${route.path}`;

describe('when the route table is walked', () => {
  it('then it has every service and the WebSocket in it', () => {
    expect(new Set(ROUTES.map((route) => route.upstream))).toEqual(
      new Set(['auth', 'document', 'webhook', 'sync', 'gateway']),
    );
    expect(guarded.length).toBeGreaterThan(30);
  });

  it.each(guarded.map((route) => [label(route), route] as const))(
    'then %s is 401 for anonymous, expired and forged tokens',
    async (_label, route) => {
      const attempts = {
        anonymous: await request(route),
        ...Object.fromEntries(
          await Promise.all(
            Object.entries(forge).map(async ([name, token]) => [name, await request(route, token)]),
          ),
        ),
      } as Record<string, { status: number; body: Record<string, unknown> }>;

      const statuses = Object.fromEntries(
        Object.entries(attempts).map(([name, res]) => [name, res.status]),
      );
      expect(statuses).toEqual(Object.fromEntries(Object.keys(attempts).map((n) => [n, 401])));
      for (const res of Object.values(attempts)) expect(res.body.code).toBe('UNAUTHORIZED');
    },
  );

  const ownedRoutes = guarded.filter(
    (route) => route.resource && route.resource !== 'user' && route.access === 'user',
  );
  it.each(ownedRoutes.map((route) => [label(route), route] as const))(
    "then %s is 404 for Bob on Alice's resource",
    async (_label, route) => {
      const res = await request(route, bob.token);

      expect(res.status).toBe(404);
      expect(res.body.code).toBe(NOT_FOUND_CODE[route.resource as Resource]);
    },
  );

  const adminRoutes = guarded.filter((route) => route.access === 'admin');
  it.each(adminRoutes.map((route) => [label(route), route] as const))(
    'then %s is 403 for a user and answered for an admin',
    async (_label, route) => {
      const asUser = await request(route, bob.token);
      const asAdmin = await call(gw, 'GET', '/api/users', { bearer: admin.token });

      expect(asUser.status).toBe(403);
      expect(asAdmin.status).toBe(200);
    },
  );

  const writeRoutes = guarded.filter((route) => route.method !== 'GET' || route.sessionOnly);
  it.each(writeRoutes.map((route) => [label(route), route] as const))(
    "then %s is 403 for Alice's read-scope key",
    async (_label, route) => {
      const res = await request(route, aliceReadKey);

      expect(res.status).toBe(403);
      expect(['INSUFFICIENT_SCOPE', 'SESSION_REQUIRED', 'FORBIDDEN']).toContain(res.body.code);
    },
  );
});

describe("when Alice reads her own resources (the control for Bob's 404s)", () => {
  const reads = ROUTES.filter(
    (route) => route.method === 'GET' && route.resource && route.access === 'user',
  );
  it.each(reads.map((route) => [label(route), route] as const))(
    'then %s does not say "not found" to her, with her token or her read key',
    async (_label, route) => {
      const withToken = await request(route, alice.token);
      const withKey = await request(route, aliceReadKey);

      // 200, or a route-specific answer (an archive not made yet), never "no such resource".
      for (const res of [withToken, withKey]) {
        expect([200, 404]).toContain(res.status);
        expect(res.body.code).not.toBe(NOT_FOUND_CODE[route.resource as Resource]);
      }
      expect(withKey.status).toBe(withToken.status);
    },
  );

  it('then Bob cannot read her document through search either', async () => {
    const res = await call(gw, 'GET', '/api/search?q=isolation', { bearer: bob.token });

    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(owned.document);
  });
});
