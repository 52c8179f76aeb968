import amqp from 'amqplib';
import { testStack, type Stack } from '@readur/stack';
import { normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from './client';

const local = testStack('first-worker');
const { runId, exchange } = local;
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
  stack = await local.start({
    ocrWorkers: 0,
  });
  user = await signUp(stack.gatewayUrl, `first_worker_${runId}`);
}, 180_000);

afterAll(async () => {
  await local.dispose();
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
