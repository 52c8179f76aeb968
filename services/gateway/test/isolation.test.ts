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
import {
  GOOD_PASSWORD,
  authTestConfig,
  newUsername,
  startTestAuth,
} from '../../auth/test/support/auth.fixture';
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
let aliceWriteKey: string;
let adminWriteKey: string;
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

// In the title of Alice's document only, so a search for it has exactly one right answer. No
// OCR worker runs here: the title is what the search index holds of her document.
const ALICE_WORD = 'zanzibarite';
const ALICE_LABEL = 'alice-only-label';

/** Alice's resources: one of each kind a route can name. */
async function createAliceResources(): Promise<void> {
  const form = new FormData();
  form.append(
    'file',
    new Blob(['isolation test text of alice\n'], { type: 'text/plain' }),
    'a.txt',
  );
  form.append('title', `The ${ALICE_WORD} ledger of Alice`);
  form.append('labels', ALICE_LABEL);
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
  aliceWriteKey = await newKey(alice, 'read_write');
  owned.user = alice.id;
}

async function newKey(user: SignedIn, scope: 'read' | 'read_write'): Promise<string> {
  const key = await call(gw, 'POST', '/api/auth/keys', {
    bearer: user.token,
    body: { name: `${scope} key`, scope },
  });
  if (key.status !== 201) throw new Error(`key: ${JSON.stringify(key.body)}`);
  return key.body.key as string;
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

/**
 * The list routes: every GET of the table without a path parameter that a user may call. Each is
 * read by Alice and Bob before Alice has anything and again after; a list that changes for Bob
 * would show or count her things. New list routes join the walk by being in the table.
 */
const LIST_ROUTES = ROUTES.filter(
  (route) =>
    route.method === 'GET' &&
    !route.path.includes(':') &&
    route.access === 'user' &&
    route.upstream !== 'gateway',
);
// A query a route needs to answer about Alice's document at all.
const LIST_QUERY: Record<string, string> = {
  '/api/search': `?q=${ALICE_WORD}`,
  '/api/search/facets': `?q=${ALICE_WORD}`,
};
// Lists that do not depend on what the caller owns, so Alice's answer does not change either.
const NOT_OWNED: Record<string, string> = {
  '/api/auth/me': 'the caller',
  '/api/ocr/languages': 'the installation',
};

type Lists = Record<string, { status: number; body: Record<string, unknown> }>;
let listsBefore: { alice: Lists; bob: Lists };

/** Every list route as `user` sees it; timings left out, they differ from one call to the next. */
async function readLists(user: SignedIn): Promise<Lists> {
  const answers: Lists = {};
  for (const route of LIST_ROUTES) {
    const res = await call(gw, 'GET', `${route.path}${LIST_QUERY[route.path] ?? ''}`, {
      bearer: user.token,
    });
    const body = { ...res.body };
    delete body.query_time_ms;
    answers[route.path] = { status: res.status, body };
  }
  return answers;
}

beforeAll(async () => {
  gw = await startServices();
  admin = await signIn(gw, ADMIN);
  alice = await signIn(gw);
  bob = await signIn(gw);
  adminWriteKey = await newKey(admin, 'read_write');
  listsBefore = { alice: await readLists(alice), bob: await readLists(bob) };
  await createAliceResources();
  forge = await forgeTokens();
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await database?.drop();
  await deleteQueues().catch(() => undefined);
});

/** The route's path with its parameters filled: `ids`' resource (Alice's), else a fresh uuid. */
function concrete(route: RouteSpec, ids: Partial<Record<Resource, string>> = owned): string {
  return route.path
    .replace(':id', (route.resource && ids[route.resource]) ?? randomUUID())
    .replace(':delivery_id', randomUUID());
}

const label = (route: RouteSpec) => `${route.method} ${route.path}`;

// A body each service accepts, so an answer is about who asks and not about the input.
const PATCH_BODY: Record<string, unknown> = {
  document: { title: 'changed by someone' },
  webhook: { description: 'changed by someone' },
  sync: { name: 'changed by someone' },
  auth: { email: null },
};

// Routes whose answer depends on a valid body; everything else takes the PATCH body or `{}`.
const BODY: Record<string, () => unknown> = {
  'POST /api/users': () => ({ username: newUsername(), password: GOOD_PASSWORD }),
};

function request(route: RouteSpec, bearer?: string, ids?: Partial<Record<Resource, string>>) {
  const body =
    BODY[label(route)]?.() ?? (route.method === 'PATCH' ? PATCH_BODY[route.upstream] : {});
  return call(gw, route.method, concrete(route, ids), {
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
      // A user of its own for the admin to read, change or delete, so Alice stays as she is.
      const created = await call(gw, 'POST', '/api/users', {
        bearer: admin.token,
        body: { username: newUsername(), password: GOOD_PASSWORD },
      });
      const target = { user: (created.body.user as { id: string }).id };

      const asUser = await request(route, bob.token, target);
      const asAdmin = await request(route, admin.token, target);

      expect(asUser.status).toBe(403);
      expect(asUser.body.code).toBe('FORBIDDEN');
      expect([401, 403]).not.toContain(asAdmin.status);
      expect(asAdmin.status).toBeGreaterThanOrEqual(200);
      expect(asAdmin.status).toBeLessThan(300);
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

  const sessionRoutes = guarded.filter((route) => route.sessionOnly);
  it.each(sessionRoutes.map((route) => [label(route), route] as const))(
    'then %s is 403 SESSION_REQUIRED for a read-write key of a user allowed on it',
    async (_label, route) => {
      const key = route.access === 'admin' ? adminWriteKey : aliceWriteKey;

      const res = await request(route, key);

      expect(res.status).toBe(403);
      expect(res.body.code).toBe('SESSION_REQUIRED');
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
});

describe('when Alice and Bob search for the word in her document’s title', () => {
  const search = (user: SignedIn, path: string) => call(gw, 'GET', path, { bearer: user.token });

  it('then Alice finds it, and her facets count it', async () => {
    const found = await search(alice, `/api/search?q=${ALICE_WORD}`);
    const facets = await search(alice, `/api/search/facets?q=${ALICE_WORD}`);

    expect(found.status).toBe(200);
    expect(found.body.total).toBe(1);
    expect((found.body.documents as { id: string }[]).map((d) => d.id)).toEqual([owned.document]);
    expect(facets.body).toEqual({
      mime_types: [{ value: 'text/plain', count: 1 }],
      labels: [{ value: ALICE_LABEL, count: 1 }],
    });
  });

  it('then Bob neither finds it nor counts it', async () => {
    const found = await search(bob, `/api/search?q=${ALICE_WORD}`);
    const facets = await search(bob, `/api/search/facets?q=${ALICE_WORD}`);
    const allFacets = await search(bob, '/api/search/facets');

    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ documents: [], total: 0 });
    expect(facets.body).toEqual({ mime_types: [], labels: [] });
    expect(allFacets.body).toEqual({ mime_types: [], labels: [] });
  });

  it('then Bob may not widen his search to everyone’s documents', async () => {
    const found = await search(bob, `/api/search?q=${ALICE_WORD}&scope=all`);
    const facets = await search(bob, '/api/search/facets?scope=all');

    expect(found.status).toBe(403);
    expect(facets.status).toBe(403);
  });
});

describe('when Bob reads every list route after Alice created her things', () => {
  let after: { alice: Lists; bob: Lists };
  beforeAll(async () => {
    after = { alice: await readLists(alice), bob: await readLists(bob) };
  });

  it('then the walk has the lists of every kind of resource, and only routes of the table', () => {
    const paths = LIST_ROUTES.map((route) => route.path);

    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/documents',
        '/api/webhooks',
        '/api/sources',
        '/api/auth/keys',
        '/api/search',
        '/api/search/facets',
        '/api/queue/stats',
      ]),
    );
    for (const path of [...Object.keys(LIST_QUERY), ...Object.keys(NOT_OWNED)])
      expect(paths).toContain(path);
  });

  it.each(LIST_ROUTES.map((route) => [route.path] as const))(
    'then GET %s answers Bob exactly as before, with nothing of hers',
    (path) => {
      const answer = after.bob[path];
      const text = JSON.stringify(answer);

      expect(answer?.status).toBe(200);
      expect(answer).toEqual(listsBefore.bob[path]);
      for (const hers of [...Object.values(owned), alice.username, ALICE_WORD, ALICE_LABEL])
        expect(text).not.toContain(hers);
    },
  );

  // The control: the same routes do show her things to her, so Bob's unchanged answers count.
  it.each(LIST_ROUTES.filter((r) => !NOT_OWNED[r.path]).map((route) => [route.path] as const))(
    'then GET %s answers Alice differently than before',
    (path) => {
      expect(after.alice[path]?.status).toBe(200);
      expect(after.alice[path]).not.toEqual(listsBefore.alice[path]);
    },
  );
});
