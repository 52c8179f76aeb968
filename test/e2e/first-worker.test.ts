import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { dropDatabase, startStack, type Stack } from '@readur/stack';
import { normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from './client';

const runId = `${process.pid}_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_first_worker_${runId}`;
const exchange = `readur-first-worker-${runId}`;
const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-first-worker-'));
let stack: Stack;
let user: ApiUser;

/** Whether the broker has the ocr-worker's durable queue (packages/bus: `<prefix>.<name>`). */
async function ocrQueueExists(): Promise<boolean> {
  const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(`${exchange}.ocr-worker`);
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

beforeAll(async () => {
  // A brand-new exchange and database, and no ocr-worker has ever run against them.
  stack = await startStack({
    randomPorts: true,
    databaseUrl,
    exchange,
    storagePath,
    ocrWorkers: 0,
  });
  user = await signUp(stack.gatewayUrl, `first_worker_${runId}`);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await dropDatabase(databaseUrl);
  fs.rmSync(storagePath, { recursive: true, force: true });
}, 60_000);

describe('when documents are uploaded before the first ocr-worker ever started', () => {
  it('then the first worker to announce itself gets them and they complete', async () => {
    const documents: DocumentJson[] = [];
    for (const n of [1, 2]) {
      const res = await user.upload(Buffer.from(`early note number ${n}\n`), `early-${n}.txt`);
      expect(res.status).toBe(201);
      documents.push((await res.json()) as DocumentJson);
    }
    // Their document.created had no OCR queue to land in.
    expect(await ocrQueueExists()).toBe(false);

    await stack.addOcrWorker();
    const done = await Promise.all(documents.map((document) => waitForOcr(user, document.id)));

    expect(done.map((document) => document.ocr_status)).toEqual(['completed', 'completed']);
    for (const [index, document] of done.entries()) {
      const res = await user.request('GET', `/api/documents/${document.id}/ocr`);
      const ocr = (await res.json()) as { text: string };
      expect(normalise(ocr.text)).toContain(`early note number ${index + 1}`);
    }
  }, 180_000);
});
