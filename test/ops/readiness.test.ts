import net from 'node:net';
import { createApp, finishApp, listen, type RunningServer } from '@readur/http';
import { createLogger } from '@readur/logger';
import { freePort } from '@readur/stack';
import { connectDatabase, postgresServerUrl } from '@readur/testkit';

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
