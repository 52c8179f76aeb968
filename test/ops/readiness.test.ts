import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { createApp, finishApp, listen, type RunningServer } from '@readur/http';
import { createLogger } from '@readur/logger';
import { freePort } from '@readur/stack';
import {
  amqpUrl,
  connectDatabase,
  createTestDatabase,
  postgresServerUrl,
  uniqueName,
  type TestDatabase,
} from '@readur/testkit';
// Services are not packages: their start-up modules are imported by path (see config-shapes).
import { loadAuthConfig } from '../../services/auth/src/config';
import { startAuthService } from '../../services/auth/src/service';
// The real OpenID provider (oidc-provider from npm) the auth tests sign on with.
import { startTestOidcProvider } from '../../services/auth/test/support/oidc.provider';
import { loadDocumentConfig } from '../../services/document/src/config';
import { startDocumentService } from '../../services/document/src/service';

/** PING over RESP to the machine's Redis: resolves on `+PONG`. */
function redisPing(port: number): () => Promise<void> {
  return () =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('+PONG')) resolve();
        else reject(new Error(`unexpected answer ${data.toString().trim()}`));
      });
    });
}

/** A TCP peer that accepts connections and never answers: a hung dependency. */
async function silentPeer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const knex = connectDatabase(postgresServerUrl());
const database = async () => void (await knex.raw('SELECT 1'));
const logger = createLogger('readiness-test', 'silent');
let servers: RunningServer[] = [];
let silent: Awaited<ReturnType<typeof silentPeer>>;

async function serve(readiness: Parameters<typeof createApp>[0]['readiness']) {
  const server = await listen(finishApp(createApp({ service: 't', logger, readiness }), logger), 0);
  servers.push(server);
  const res = await fetch(`http://127.0.0.1:${server.port}/api/health/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  silent = await silentPeer();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  await silent.close();
  await knex.destroy();
});

describe('readiness of integrations', () => {
  it('when every dependency answers, then it is ready and reports each with its latency', async () => {
    const { status, body } = await serve({
      database,
      redis: { check: redisPing(6379), optional: true },
    });

    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      dependencies: {
        database: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        redis: { status: 'up', optional: true, latency_ms: expect.any(Number) as number },
      },
    });
  });

  it('when an optional dependency is down, then the service is degraded but still ready', async () => {
    const { status, body } = await serve({
      database,
      redis: { check: redisPing(await freePort()), optional: true },
    });

    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'degraded',
      dependencies: {
        database: { status: 'up' },
        redis: {
          status: 'down',
          optional: true,
          error: expect.stringContaining('ECONNREFUSED') as string,
        },
      },
    });
  });

  it('when a required dependency hangs, then it counts as down after the check limit and the service is not ready', async () => {
    const { status, body } = await serve({
      database,
      broker: redisPing(silent.port),
    });

    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'not_ready',
      dependencies: {
        database: { status: 'up' },
        broker: { status: 'down', optional: false, error: 'no answer within 2000 ms' },
      },
    });
    expect((body.dependencies as { broker: { latency_ms: number } }).broker.latency_ms).toEqual(
      expect.any(Number),
    );
  });
});

/** The readiness answer of a running service. */
async function readiness(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/api/health/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('readiness of the real document and auth services', () => {
  const exchange = uniqueName('readur_ops_readiness');
  const queuePrefix = uniqueName('ops_readiness');
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-readiness-'));
  const silentLogger = createLogger('readiness-services', 'silent');
  const stops: Array<() => Promise<void>> = [];
  let documentDb: TestDatabase;
  let authDb: TestDatabase;

  const common = () => ({
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    INTERNAL_API_TOKEN: 'ops-readiness-internal-token',
    AMQP_URL: amqpUrl(),
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: queuePrefix,
  });

  async function documentService(redisUrl: string) {
    const service = await startDocumentService(
      loadDocumentConfig({
        ...common(),
        DATABASE_URL: documentDb.url,
        STORAGE_PATH: storagePath,
        REDIS_ENABLED: 'true',
        REDIS_URL: redisUrl,
      }),
      { logger: silentLogger },
    );
    stops.push(() => service.close());
    return service;
  }

  async function authService(issuer: string) {
    const service = await startAuthService(
      loadAuthConfig({
        ...common(),
        DATABASE_URL: authDb.url,
        ADMIN_PASSWORD: 'ops-readiness-admin-password',
        OIDC_ENABLED: 'true',
        OIDC_ISSUER_URL: issuer,
        OIDC_CLIENT_ID: 'readur-ops',
        OIDC_CLIENT_SECRET: 'readur-ops-client-secret',
        OIDC_ALLOW_HTTP: 'true',
      }),
      { logger: silentLogger, announce: () => undefined },
    );
    stops.push(() => service.close());
    return service;
  }

  beforeAll(async () => {
    documentDb = await createTestDatabase('ops_readiness_document');
    authDb = await createTestDatabase('ops_readiness_auth');
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await documentDb?.drop();
    await authDb?.drop();
    const connection = await amqp.connect(amqpUrl());
    const channel = await connection.createChannel();
    for (const queue of [`${queuePrefix}.document`, `${queuePrefix}.document.dlq`]) {
      await channel.deleteQueue(queue);
    }
    await channel.deleteExchange(exchange);
    await connection.close();
    fs.rmSync(storagePath, { recursive: true, force: true });
  }, 60_000);

  it('when REDIS_ENABLED and Redis does not listen, then the document service is ready, degraded, naming redis with its state and latency', async () => {
    const service = await documentService(`redis://127.0.0.1:${await freePort()}`);

    const { status, body } = await readiness(service.port);

    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'degraded',
      dependencies: {
        database: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        broker: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        storage: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        redis: {
          status: 'down',
          optional: true,
          latency_ms: expect.any(Number) as number,
          error: expect.stringContaining('ECONNREFUSED') as string,
        },
      },
    });
  });

  it('when REDIS_ENABLED and Redis answers, then the document service reports redis up', async () => {
    const service = await documentService('redis://127.0.0.1:6379');

    const { status, body } = await readiness(service.port);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      dependencies: { redis: { status: 'up', optional: true } },
    });
  });

  it('when OIDC is enabled and its provider is down, then the auth service still starts and is ready, degraded, naming oidc', async () => {
    const service = await authService(`http://127.0.0.1:${await freePort()}`);

    const { status, body } = await readiness(service.port);

    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'degraded',
      dependencies: {
        database: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        broker: { status: 'up', optional: false, latency_ms: expect.any(Number) as number },
        oidc: {
          status: 'down',
          optional: true,
          latency_ms: expect.any(Number) as number,
          error: expect.any(String) as string,
        },
      },
    });
  });

  it('when OIDC is enabled and its provider answers discovery, then the auth service reports oidc up', async () => {
    const provider = await startTestOidcProvider({
      clientId: 'readur-ops',
      clientSecret: 'readur-ops-client-secret',
      redirectUri: 'http://127.0.0.1:8080/api/auth/oidc/callback',
      mountPath: '/tenant/v2.0',
    });
    stops.push(() => provider.close());
    const service = await authService(provider.issuer);

    const { status, body } = await readiness(service.port);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      dependencies: { oidc: { status: 'up', optional: true } },
    });
  });
});
