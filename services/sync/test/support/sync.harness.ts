import { randomUUID } from 'node:crypto';
import os from 'node:os';
import amqp from 'amqplib';
import type { Knex } from 'knex';
import {
  amqpUrl,
  createTestDatabase,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@readur/testkit';
import { loadDocumentConfig, startDocumentService } from '../../../document/src';
import { loadSyncConfig, startSyncService, type RunningSyncService } from '../../src';

/** The internal token both test services trust. */
export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

/** An event seen on the test exchange. */
export interface SeenEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A document and a sync service sharing one throwaway database and exchange. */
export interface SyncHarness {
  baseUrl: string;
  documentUrl: string;
  knex: Knex;
  events: SeenEvent[];
  databaseUrl: string;
  exchange: string;
  /** The sync variables of the harness (for a replica in a child process). */
  syncEnv: Record<string, string>;
  /** Starts another sync replica on the same database (lease tests). */
  startReplica(env?: Record<string, string>): Promise<RunningSyncService>;
  sync: RunningSyncService;
  close(): Promise<void>;
}

/** Starts both services in-process; `env` overrides sync variables. */
export async function startSyncHarness(
  env: Record<string, string> = {},
  documentEnv: Record<string, string> = {},
): Promise<SyncHarness> {
  const database: TestDatabase = await createTestDatabase('sync_test');
  const exchange = uniqueName('sync-test');
  const queuePrefix = uniqueName('q');
  const storagePath = `/tmp/${uniqueName('readur-sync-docs')}`;

  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, '#');
  const events: SeenEvent[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    events.push(JSON.parse(message.content.toString('utf8')) as SeenEvent);
    channel.ack(message);
  });

  const shared = {
    DATABASE_URL: database.url,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: queuePrefix,
  };
  const document = await startDocumentService(
    loadDocumentConfig({ ...shared, STORAGE_PATH: storagePath, ...documentEnv }),
  );
  const documentUrl = `http://127.0.0.1:${document.port}`;
  const syncEnv = {
    ...shared,
    DOCUMENT_SERVICE_URL: documentUrl,
    SYNC_ENCRYPTION_KEY: 'test-sync-encryption-key-0123456789abcdef',
    SYNC_SCHEDULER_TICK_MS: '100',
    FILE_STABILITY_CHECK_MS: '300',
    SYNC_LEASE_SECONDS: '2',
    SYNC_RETRY_BASE_DELAY_MS: '200',
    SYNC_RETRY_MAX_DELAY_MS: '1000',
    SYNC_LOCAL_ROOTS: os.tmpdir(),
    ...env,
  };
  const replicas: RunningSyncService[] = [];
  const startReplica = async (extra: Record<string, string> = {}) => {
    const replica = await startSyncService(loadSyncConfig({ ...syncEnv, ...extra }));
    replicas.push(replica);
    return replica;
  };
  const sync = await startReplica();

  return {
    baseUrl: `http://127.0.0.1:${sync.port}`,
    documentUrl,
    knex: database.knex,
    events,
    databaseUrl: database.url,
    exchange,
    syncEnv,
    startReplica,
    sync,
    close: async () => {
      for (const replica of replicas) await replica.close().catch(() => undefined);
      await document.close();
      await channel.deleteExchange(exchange).catch(() => undefined);
      for (const name of [`${queuePrefix}.document`, `${queuePrefix}.document.dlq`]) {
        await channel.deleteQueue(name).catch(() => undefined);
      }
      await connection.close().catch(() => undefined);
      await database.drop();
    },
  };
}

/** A user as the gateway would vouch for it. */
export interface TestUser {
  id: string;
  headers: Record<string, string>;
}

/** A new user identity. */
export function newUser(): TestUser {
  const id = randomUUID();
  return {
    id,
    headers: { 'X-Internal-Token': INTERNAL_TOKEN, 'X-User-Id': id, 'X-User-Role': 'user' },
  };
}

/** A JSON request to the sync service with the user's headers. */
export async function call(
  harness: SyncHarness,
  user: TestUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${harness.baseUrl}${path}`, {
    method,
    headers: {
      ...user.headers,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** The status JSON of a source. */
export interface StatusJson {
  state: string;
  last_sync_status: string | null;
  run: (Record<string, number | string | null> & { id: string; status: string }) | null;
  failures: Array<{ path: string; reason: string; attempts: number }>;
}

/** Waits until a run newer than `afterRunId` of the source has finished; returns the status. */
export async function waitForRun(
  harness: SyncHarness,
  user: TestUser,
  sourceId: string,
  afterRunId?: string | null,
): Promise<StatusJson> {
  let status: StatusJson | undefined;
  await waitFor(
    async () => {
      status = (await call(harness, user, 'GET', `/api/sources/${sourceId}/status`))
        .body as unknown as StatusJson;
      return Boolean(status.run && status.run.id !== afterRunId && status.run.status !== 'running');
    },
    { timeoutMs: 30_000, intervalMs: 100, description: 'a finished sync run' },
  );
  return status as StatusJson;
}

/** Documents of a user, straight from the document service's table. */
export async function documentsOf(
  harness: SyncHarness,
  userId: string,
): Promise<
  Array<{
    id: string;
    original_filename: string;
    file_hash: string;
    source_id: string | null;
    source_path: string | null;
  }>
> {
  return harness
    .knex('documents')
    .where({ user_id: userId })
    .orderBy('original_filename')
    .select('id', 'original_filename', 'file_hash', 'source_id', 'source_path');
}
