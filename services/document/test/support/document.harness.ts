import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { DEFAULT_RETRY } from '@readur/bus';
import { createTestDatabase, uniqueName, type TestDatabase } from '@readur/testkit';
import { loadDocumentConfig, startDocumentService, type RunningDocumentService } from '../../src';
import { deleteBrokerTopology, listenToExchange, type BrokerListener } from './broker.listener';

/** The internal token the test service trusts. */
export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

/** A document service on a free port with its own database, storage directory and exchange. */
export interface Harness {
  baseUrl: string;
  knex: Knex;
  storagePath: string;
  broker: BrokerListener;
  /** Files under the storage root, relative, staging included. */
  storedFiles(): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts the service in-process; `env` overrides variables (e.g. `MAX_UPLOAD_SIZE_MB`). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase('document_test');
  const storagePath = await mkdtemp(path.join(os.tmpdir(), 'readur-document-'));
  const exchange = uniqueName('document-test');
  const queuePrefix = uniqueName('q');
  const broker = await listenToExchange(exchange);

  const config = loadDocumentConfig({
    DATABASE_URL: database.url,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    STORAGE_PATH: storagePath,
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: queuePrefix,
    ...env,
  });
  const service: RunningDocumentService = await startDocumentService(config);

  const queue = `${queuePrefix}.document`;
  const retryQueues = [...new Set(DEFAULT_RETRY.backoffMs)].map((ms) => `${queue}.retry.${ms}ms`);
  const queues = [queue, `${queue}.dlq`, ...retryQueues];

  return {
    baseUrl: `http://127.0.0.1:${service.port}`,
    knex: database.knex,
    storagePath,
    broker,
    storedFiles: () => storedFilesBelow(storagePath),
    close: async () => {
      await service.close();
      await broker.close();
      await deleteBrokerTopology(exchange, queues).catch(() => undefined);
      await database.drop();
      await rm(storagePath, { recursive: true, force: true });
    },
  };
}

/** A user of the test: requests carry the headers the gateway would add. */
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

/** What to upload. */
export interface UploadSpec {
  bytes: Buffer;
  filename?: string;
  /** The client-claimed type, which the service must ignore. */
  contentType?: string;
  fields?: Record<string, string>;
  path?: string;
}

/** Posts a multipart upload as a browser would. */
export function upload(harness: Harness, user: TestUser, spec: UploadSpec): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(spec.fields ?? {})) form.append(name, value);
  const blob = new Blob([new Uint8Array(spec.bytes)], {
    type: spec.contentType ?? 'application/octet-stream',
  });
  form.append('file', blob, spec.filename ?? 'file.bin');
  return fetch(`${harness.baseUrl}${spec.path ?? '/api/documents/upload'}`, {
    method: 'POST',
    headers: user.headers,
    body: form,
  });
}

/** The public JSON of a document, as the tests read it. */
export interface DocumentJson {
  id: string;
  title: string;
  filename: string;
  original_filename: string;
  mime_type: string;
  file_size: number;
  file_hash: string;
  labels: string[];
  metadata: Record<string, unknown>;
  ocr_status: string;
  ocr_confidence: number | null;
  ocr_word_count: number | null;
  page_count: number | null;
  ocr_failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** Uploads and returns the created document; fails the test on anything but 201. */
export async function uploadDocument(
  harness: Harness,
  user: TestUser,
  spec: UploadSpec,
): Promise<DocumentJson> {
  const response = await upload(harness, user, spec);
  if (response.status !== 201) {
    throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as DocumentJson;
}

/** A JSON request with the user's headers. */
export function call(
  harness: Harness,
  user: TestUser | undefined,
  method: string,
  pathAndQuery: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${harness.baseUrl}${pathAndQuery}`, {
    method,
    headers: {
      ...(user?.headers ?? {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * The files below `root`. Another test's upload may remove a directory while the walk is in it
 * (storage prunes empty directories), so a vanished directory means: walk again.
 */
async function storedFilesBelow(root: string, attempts = 5): Promise<string[]> {
  try {
    return (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempts <= 1) throw error;
    return storedFilesBelow(root, attempts - 1);
  }
}
