import amqp from 'amqplib';
import { PDFDocument } from 'pdf-lib';
import { testStack, type ServiceProcess, type Stack } from '@readur/stack';
import { normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from '../e2e/client';
import { denseLines, textImage } from '../e2e/fixtures';

const local = testStack('ops-drain');
const { exchange } = local;
const PAGES = 3;

interface LogLine {
  service: string;
  message?: string;
  document_id?: string;
  page?: number;
}
const logs: LogLine[] = [];
let stack: Stack;
let user: ApiUser;

/** Words OCR reads reliably (digits and rare letter pairs come back misread). */
const PAGE_WORDS = ['alpha', 'bravo', 'charlie'];
const pageMarker = (page: number) => `page ${PAGE_WORDS[page - 1] ?? page}`;

/** A scanned PDF: every page an image of text, no text layer, so every page is OCRed. */
async function scannedPdf(marker: string): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (let page = 1; page <= PAGES; page += 1) {
    const png = await pdf.embedPng(
      await textImage(denseLines(12, `${marker} ${pageMarker(page)}`)),
    );
    pdf.addPage([png.width, png.height]).drawImage(png, { x: 0, y: 0 });
  }
  return Buffer.from(await pdf.save());
}

async function waitFor<T>(probe: () => T | undefined, what: () => string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const logOf = (service: string, message: string, documentId: string, page?: number) =>
  logs.find(
    (line) =>
      line.service === service &&
      line.message === message &&
      line.document_id === documentId &&
      (page === undefined || line.page === page),
  );

/**
 * Uploads a scan and resolves with the page `worker` is OCRing right now. The document is
 * split into page jobs (`ocr.page.requested`), one unacknowledged job per worker.
 */
async function uploadAndWaitMidPage(worker: ServiceProcess, marker: string) {
  const res = await user.upload(await scannedPdf(marker), `${marker}.pdf`);
  expect(res.status).toBe(201);
  const document = (await res.json()) as DocumentJson;

  const started = await waitFor(
    () => logOf(worker.name, 'ocr page started', document.id),
    () =>
      `a page of ${marker} on ${worker.name}; its last lines: ${JSON.stringify(
        logs.filter((line) => line.service === worker.name).slice(-6),
      )}`,
  );
  return { document, page: started.page ?? 0 };
}

async function pagesOf(id: string) {
  const res = await user.request('GET', `/api/documents/${id}/ocr`);
  return ((await res.json()) as { pages: { page: number; text: string }[] }).pages;
}

/**
 * Messages left in the worker's queues and their dead-letter queues. packages/bus names them
 * `<AMQP_QUEUE>.<subscription>`: the names k8s/base/autoscaling.yaml scales on.
 */
async function queueDepths() {
  const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  try {
    const channel = await connection.createChannel();
    const depths: Record<string, number> = {};
    for (const queue of [
      'ocr-worker',
      'ocr-worker.dlq',
      'ocr-worker.pages',
      'ocr-worker.pages.dlq',
    ]) {
      depths[queue] = (await channel.checkQueue(`${exchange}.${queue}`)).messageCount;
    }
    return depths;
  } finally {
    await connection.close();
  }
}

/** The queue depths once they are all 0, or the last reading after 60 s. */
async function settledQueueDepths() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const depths = await queueDepths();
    if (Object.values(depths).every((depth) => depth === 0) || Date.now() > deadline) {
      return depths;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  stack = await local.start({
    ocrWorkers: 1,
    // One engine and one unacknowledged message per worker, as k8s/ runs it.
    env: { LOG_LEVEL: 'info', OCR_CONCURRENCY: '1', AMQP_PREFETCH: '1', OCR_RETRY_DELAY_MS: '0' },
    output: (service, line) => {
      try {
        logs.push({ ...(JSON.parse(line) as Omit<LogLine, 'service'>), service });
      } catch {
        // not a JSON line (tesseract's own output)
      }
    },
  });
  user = await signUp(stack.gatewayUrl, `drain_${Date.now()}`);
}, 180_000);

afterAll(async () => {
  await local.dispose();
});

describe('ocr-worker scale-down', () => {
  it('when SIGTERM arrives mid-page, then the worker finishes and publishes the page before it exits; nothing is lost', async () => {
    const worker = stack.services.find((service) => service.name === 'ocr-worker-1');
    if (!worker) throw new Error('no ocr-worker-1');
    const { document, page } = await uploadAndWaitMidPage(worker, 'sigterm');

    worker.child.kill('SIGTERM');
    const exitCode = await worker.exited;
    const finishedBeforeExit = !!logOf(worker.name, 'ocr page completed', document.id, page);
    // A drain that outlived the shutdown limit exits 1 with the job unacknowledged: the next
    // worker must get it again.
    await stack.addOcrWorker();
    const done = await waitForOcr(user, document.id, 300_000);

    const logged = (message: string) =>
      logs.some((line) => line.service === worker.name && line.message === message);
    expect(logged('shutting down')).toBe(true);
    // Exit 0 after the page in flight was finished and its result published by this worker;
    // exit 1 only when the drain hit its limit and said so (the page is then redelivered).
    expect(exitCode === 0 ? finishedBeforeExit : logged('shutdown timed out')).toBe(true);
    expect(done.ocr_status).toBe('completed');
    const pages = await pagesOf(document.id);
    expect(pages.map((entry) => entry.page)).toEqual([1, 2, 3]);
    for (const entry of pages) expect(normalise(entry.text)).toContain(pageMarker(entry.page));
  }, 480_000);

  it('when a worker is killed mid-page, then the page is redelivered to another worker and finished', async () => {
    const victim = stack.services.filter((service) => service.name.startsWith('ocr-worker')).at(-1);
    if (!victim) throw new Error('no running ocr-worker');
    const { document, page } = await uploadAndWaitMidPage(victim, 'sigkill');

    await victim.kill();
    const rescuer = await stack.addOcrWorker();
    const done = await waitForOcr(user, document.id, 300_000);

    expect(done.ocr_status).toBe('completed');
    expect(logOf(victim.name, 'ocr page completed', document.id, page)).toBeUndefined();
    expect(logOf(rescuer.name, 'ocr page completed', document.id, page)).toBeDefined();
    const pages = await pagesOf(document.id);
    expect(pages.map((entry) => entry.page)).toEqual([1, 2, 3]);
    for (const entry of pages) expect(normalise(entry.text)).toContain(pageMarker(entry.page));
    // A kill before the split's own message was acknowledged makes the rescuer split the
    // document again: page jobs with the same event ids (their results are stored once) may
    // still wait in the queue when the document completes. Wait for them to be consumed.
    expect(await settledQueueDepths()).toEqual({
      'ocr-worker': 0,
      'ocr-worker.dlq': 0,
      'ocr-worker.pages': 0,
      'ocr-worker.pages.dlq': 0,
    });
  }, 480_000);
});
