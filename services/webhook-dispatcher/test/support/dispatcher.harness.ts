import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import amqp from 'amqplib';
import type { Knex } from 'knex';
import { DEFAULT_RETRY, createAmqpBus, type Bus } from '@readur/bus';
import type { AnyEnvelope } from '@readur/contracts';
import { createLogger } from '@readur/logger';
import {
  amqpUrl,
  createTestDatabase,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@readur/testkit';
import {
  loadWebhookConfig,
  startWebhookDispatcher,
  type RunningWebhookDispatcher,
  type WebhookDispatcherOptions,
} from '../../src';

/** The internal token the test dispatcher trusts. */
export const INTERNAL_TOKEN = 'webhook-test-internal-token-0123';
/** The encryption key of the test dispatcher. */
export const ENCRYPTION_KEY = 'webhook-test-encryption-key-0123456789abcdef';

const SERVICE_ROOT = path.resolve(__dirname, '../..');

/** A user of the test: requests carry the headers the gateway would add. */
export interface TestUser {
  id: string;
  role: 'admin' | 'user';
  headers: Record<string, string>;
}

/** A new identity with `role`. */
export function newUser(role: 'admin' | 'user' = 'user'): TestUser {
  const id = randomUUID();
  return {
    id,
    role,
    headers: { 'X-Internal-Token': INTERNAL_TOKEN, 'X-User-Id': id, 'X-User-Role': role },
  };
}

/** A dispatcher run as a separate process, so a test can SIGKILL it like a crash. */
export interface DispatcherProcess {
  baseUrl: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** A test world: its own database, exchange and queues, a publisher and a dispatcher. */
export interface Harness {
  knex: Knex;
  env: Record<string, string>;
  baseUrl: string;
  /** Publishes through the real bus (reconnects, waits for confirms). */
  publish(envelope: AnyEnvelope): Promise<void>;
  /** Starts the in-process dispatcher (again) with the harness's settings. */
  startDispatcher(): Promise<void>;
  stopDispatcher(): Promise<void>;
  /** Starts the dispatcher as a child process on the same database and queues, `env` added. */
  spawnDispatcher(env?: Record<string, string>): Promise<DispatcherProcess>;
  call(
    user: TestUser | undefined,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<Response>;
  /** Creates a webhook and returns its JSON (with the one-time secret). */
  createWebhook(user: TestUser, body: Record<string, unknown>): Promise<WebhookJson>;
  close(): Promise<void>;
}

/** A webhook as the API returns it. */
export interface WebhookJson {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  user_id: string | null;
  global: boolean;
  secret?: string;
}

/** A delivery as the API returns it. */
export interface DeliveryJson {
  id: string;
  event: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'dead';
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  attempt_log?: {
    attempt: number;
    at: string;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    outcome: string;
    next_retry_at: string | null;
  }[];
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a harness; `env` overrides the dispatcher's variables, `options` its hooks. */
export async function startHarness(
  env: Record<string, string> = {},
  options: WebhookDispatcherOptions = {},
): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase('webhook_test');
  const exchange = uniqueName('webhook-test');
  const queuePrefix = uniqueName('wq');
  const logger = createLogger('webhook-test', 'silent');
  const bus: Bus = createAmqpBus(
    { url: amqpUrl(), exchange, prefetch: 16, queuePrefix },
    { service: 'webhook-test-publisher', logger },
  );

  const settings: Record<string, string> = {
    DATABASE_URL: database.url,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    WEBHOOK_ENCRYPTION_KEY: ENCRYPTION_KEY,
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    AMQP_URL: amqpUrl(),
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: queuePrefix,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_RETRY_BASE_DELAY_MS: '300',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    WEBHOOK_TIMEOUT: '5',
    ...env,
  };

  let service: RunningWebhookDispatcher | undefined;
  const children: ChildProcess[] = [];
  const harness: Harness = {
    knex: database.knex,
    env: settings,
    baseUrl: '',
    publish: (envelope) => bus.publish(envelope),
    async startDispatcher() {
      service = await startWebhookDispatcher(loadWebhookConfig(settings), { logger, ...options });
      harness.baseUrl = `http://127.0.0.1:${service.port}`;
    },
    async stopDispatcher() {
      await service?.close();
      service = undefined;
    },
    async spawnDispatcher(extra = {}) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['-r', require.resolve('tsx/cjs'), path.join(SERVICE_ROOT, 'src', 'main.ts')],
        {
          env: { ...process.env, ...settings, ...extra, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const output: Buffer[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const baseUrl = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`dispatcher exited ${child.exitCode}`);
          return (await fetch(`${baseUrl}/api/health/ready`)).ok;
        },
        { timeoutMs: 30_000, intervalMs: 100, description: 'dispatcher process ready' },
      );
      const signal = async (name: NodeJS.Signals) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(name);
        await exited;
      };
      return {
        baseUrl,
        output: () => Buffer.concat(output).toString('utf8'),
        kill: () => signal('SIGKILL'),
        stop: () => signal('SIGTERM'),
      };
    },
    call: (user, method, route, body) =>
      fetch(`${harness.baseUrl}${route}`, {
        method,
        headers: {
          ...(user?.headers ?? {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async createWebhook(user, body) {
      const response = await harness.call(user, 'POST', '/api/webhooks', body);
      if (response.status !== 201) {
        throw new Error(`create answered ${response.status}: ${await response.text()}`);
      }
      return (await response.json()) as WebhookJson;
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await harness.stopDispatcher();
      await bus.close();
      await deleteTopology(exchange, `${queuePrefix}.webhook-dispatcher`).catch(() => undefined);
      await database.drop();
    },
  };
  await harness.startDispatcher();
  return harness;
}

async function deleteTopology(exchange: string, queue: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createChannel();
  const retries = [...new Set(DEFAULT_RETRY.backoffMs)].map((ms) => `${queue}.retry.${ms}ms`);
  for (const name of [queue, `${queue}.dlq`, ...retries]) await channel.deleteQueue(name);
  await channel.deleteExchange(exchange);
  await connection.close();
}

/** The delivery log of a webhook, as its owner sees it. */
export async function deliveriesOf(
  harness: Harness,
  user: TestUser,
  webhookId: string,
): Promise<DeliveryJson[]> {
  const response = await harness.call(
    user,
    'GET',
    `/api/webhooks/${webhookId}/deliveries?limit=100`,
  );
  if (!response.ok) throw new Error(`deliveries answered ${response.status}`);
  return ((await response.json()) as { deliveries: DeliveryJson[] }).deliveries;
}
