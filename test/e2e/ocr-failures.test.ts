import type { AnyEnvelope } from '@readur/contracts';
import { testStack, type ServiceProcess, type Stack } from '@readur/stack';
import { waitFor } from '@readur/testkit';
import { listenToExchange, type ExchangeListener } from '@readur/testkit';
import { peekQueue } from './broker';
import { normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from './client';
import { denseLines } from './fixtures';
import { encryptedPdf, mixedPdf } from './ocr-pages.fixtures';

const local = testStack('ocr-failures');
const { runId, exchange } = local;
const MAX_ATTEMPTS = 2;
/** Every JSON log line of every service, parsed. */
const logs: { service: string; entry: Record<string, unknown> }[] = [];
let stack: Stack;
let user: ApiUser;
let bus: ExchangeListener;

interface QueueStats {
  pending: number;
  processing: number;
  failed: number;
  completed_today: number;
  oldest_pending_age_seconds: number | null;
}

async function uploadOk(bytes: Buffer, name: string): Promise<DocumentJson> {
  const res = await user.upload(bytes, name);
  if (res.status !== 201) throw new Error(`upload of ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as DocumentJson;
}

async function queueStats(): Promise<QueueStats> {
  const res = await user.request('GET', '/api/queue/stats');
  expect(res.status).toBe(200);
  return (await res.json()) as QueueStats;
}

/** `ocr_queue_pending_count` as the document service's /metrics reports it. */
async function pendingGauge(): Promise<number> {
  const text = await (await fetch(stack.metricsUrls.document ?? '')).text();
  const sample = /^ocr_queue_pending_count(?:\{[^}]*\})? (\S+)$/mu.exec(text);
  if (!sample) throw new Error('ocr_queue_pending_count is not on /metrics');
  return Number(sample[1]);
}

/** The ocr-worker replica running now; each test swaps it for one configured its way. */
let worker: ServiceProcess | undefined;

async function replaceWorker(env: Record<string, string> = {}): Promise<void> {
  await worker?.stop();
  worker = await stack.addOcrWorker(env);
}

/** Log entries of the ocr-workers with `message` for one document. */
function workerLogs(documentId: string, message: string): Record<string, unknown>[] {
  return logs
    .filter(({ service }) => service.startsWith('ocr-worker'))
    .map(({ entry }) => entry)
    .filter((entry) => entry.message === message && entry.document_id === documentId);
}

/** Events of one document seen on the exchange. */
function eventsOf(documentId: string, event: string): AnyEnvelope[] {
  return bus.events.filter(
    (envelope) =>
      envelope.event === event &&
      (envelope.data as { document_id?: string }).document_id === documentId,
  );
}

async function download(id: string): Promise<Buffer> {
  const res = await user.request('GET', `/api/documents/${id}/download`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

beforeAll(async () => {
  stack = await local.start({
    ocrWorkers: 1,
    metrics: true,
    env: {
      LOG_LEVEL: 'info',
      OCR_CONCURRENCY: '1',
      OCR_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      OCR_RETRY_DELAY_MS: '200',
    },
    output: (service, line) => {
      if (!line.startsWith('{')) return;
      logs.push({ service, entry: JSON.parse(line) as Record<string, unknown> });
    },
  });
  worker = stack.services.find((service) => service.name === 'ocr-worker-1');
  bus = await listenToExchange(exchange);
  user = await signUp(stack.gatewayUrl, `failures_${runId}`);
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await local.dispose();
}, 60_000);

describe('when documents are uploaded while no ocr-worker runs', () => {
  it('then the queue and ocr_queue_pending_count report them, and both fall to 0 once a worker starts', async () => {
    await worker?.stop();
    const before = await queueStats();

    const documents = [];
    for (const n of [1, 2, 3]) {
      documents.push(await uploadOk(Buffer.from(`queued note number ${n}\n`), `queued-${n}.txt`));
    }
    const waiting = await queueStats();
    const gauge = await pendingGauge();

    expect(waiting).toMatchObject({ pending: before.pending + 3, processing: 0 });
    expect(waiting.oldest_pending_age_seconds).not.toBeNull();
    expect(waiting.oldest_pending_age_seconds).toBeGreaterThanOrEqual(0);
    expect(gauge).toBe(waiting.pending);

    await replaceWorker();
    const done = await Promise.all(documents.map((document) => waitForOcr(user, document.id)));
    const after = await queueStats();

    expect(done.map((document) => document.ocr_status)).toEqual(Array(3).fill('completed'));
    expect(after).toMatchObject({ pending: 0, oldest_pending_age_seconds: null });
    expect(after.completed_today).toBe(waiting.completed_today + 3);
    expect(await pendingGauge()).toBe(0);
  }, 120_000);
});

describe('when a PDF needs a password', () => {
  const sentence = 'Quarterly statement of account 20417';
  let original: Buffer;
  let document: DocumentJson;

  beforeAll(async () => {
    original = await encryptedPdf(sentence, 'statement-2024');
    document = await uploadOk(original, 'statement.pdf');
    document = await waitForOcr(user, document.id);
  }, 120_000);

  it('then without a configured password it is stored, fails as encrypted, and is downloadable', async () => {
    const thumbnail = await user.request('GET', `/api/documents/${document.id}/thumbnail`);
    const archive = await user.request('GET', `/api/documents/${document.id}/archive`);

    expect(document).toMatchObject({ ocr_status: 'failed', ocr_failure_reason: 'encrypted' });
    expect((await download(document.id)).equals(original)).toBe(true);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('x-thumbnail-placeholder')).toBe('true');
    expect(archive.status).toBe(404);
    expect(((await archive.json()) as { code: string }).code).toBe('ARCHIVE_NOT_FOUND');
  });

  it('then a worker with its password in OCR_PDF_PASSWORDS reads it on retry', async () => {
    await replaceWorker({ OCR_PDF_PASSWORDS: 'not-this-one,statement-2024' });

    const retry = await user.request('POST', `/api/documents/${document.id}/ocr/retry`, {});
    const done = await waitForOcr(user, document.id);
    const ocr = (await (await user.request('GET', `/api/documents/${document.id}/ocr`)).json()) as {
      text: string;
    };

    expect(retry.status).toBe(202);
    expect(done.ocr_status).toBe('completed');
    expect(ocr.text).toBe(sentence);
    expect((await download(document.id)).equals(original)).toBe(true);
  }, 120_000);
});

describe('when one page of a split scan overruns OCR_TIMEOUT_SECONDS on every attempt', () => {
  const deadLetters = `${exchange}.ocr-worker.pages.dlq`;
  let original: Buffer;
  let document: DocumentJson;

  beforeAll(async () => {
    // A dense 300-dpi A4 page takes tesseract.js about 7 s here, a one-line page about 0.1 s:
    // a 3-second limit leaves both a wide margin on a loaded machine.
    await replaceWorker({ OCR_TIMEOUT_SECONDS: '3' });
    original = await mixedPdf([
      { text: 'Page 1 apple marker' },
      { scan: denseLines(90, 'Page 2 banana marker'), width: 2480, fontSize: 28 },
      { scan: ['Page 3 cherry marker'] },
    ]);
    document = await uploadOk(original, 'dense-page.pdf');
    document = await waitForOcr(user, document.id);
  }, 180_000);

  it(`then the page is tried ${MAX_ATTEMPTS} times and the document fails as timeout`, async () => {
    const started = workerLogs(document.id, 'ocr page started').map((entry) => entry.page);
    const retried = workerLogs(document.id, 'ocr page attempt failed; will retry');

    expect(document).toMatchObject({ ocr_status: 'failed', ocr_failure_reason: 'timeout' });
    expect(started.filter((page) => page === 2)).toHaveLength(MAX_ATTEMPTS);
    expect(retried).toEqual([expect.objectContaining({ page: 2, reason: 'timeout', attempt: 1 })]);
    expect(eventsOf(document.id, 'ocr.page.failed').map((event) => event.data)).toEqual([
      expect.objectContaining({ page: 2, reason: 'timeout', attempts: MAX_ATTEMPTS }),
    ]);
    await waitFor(() => eventsOf(document.id, 'ocr.failed').length > 0);
    expect(eventsOf(document.id, 'ocr.failed').map((event) => event.data)).toEqual([
      expect.objectContaining({ reason: 'timeout', attempts: MAX_ATTEMPTS }),
    ]);
  });

  it('then the page job lands on the dead-letter queue with its reason', async () => {
    const parked = await waitFor(
      async () => {
        const messages = await peekQueue(deadLetters);
        return messages.length > 0 ? messages : undefined;
      },
      { description: `a message on ${deadLetters}` },
    );

    expect(parked).toHaveLength(1);
    expect(parked[0]?.envelope).toMatchObject({
      event: 'ocr.page.requested',
      data: { document_id: document.id, page: 2 },
    });
    expect(String(parked[0]?.headers['x-dead-letter-reason'])).toMatch(/^timeout: /u);
  });

  it('then the original stays downloadable and the other pages were read, though not kept', async () => {
    const ocr = (await (await user.request('GET', `/api/documents/${document.id}/ocr`)).json()) as {
      status: string;
      pages: unknown[];
    };

    expect((await download(document.id)).equals(original)).toBe(true);
    // Page 1 came from its text layer at the split; page 3 was OCRed between page 2's attempts.
    expect(eventsOf(document.id, 'ocr.page.completed').map((event) => event.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ page: 1, text: 'Page 1 apple marker' }),
        expect.objectContaining({ page: 3 }),
      ]),
    );
    const third = eventsOf(document.id, 'ocr.page.completed').find(
      (event) => (event.data as { page: number }).page === 3,
    );
    expect(normalise((third?.data as { text: string }).text)).toContain('page 3 cherry marker');
    // A failed document serves no text: the pages read are dropped with the run.
    expect(ocr).toMatchObject({ status: 'failed', pages: [] });
  });
});
