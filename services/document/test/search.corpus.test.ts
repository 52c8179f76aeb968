import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEFAULT_RETRY } from '@readur/bus';
import { uniqueName, waitFor } from '@readur/testkit';
import { deleteBrokerTopology } from './support/broker.listener';
import {
  call,
  INTERNAL_TOKEN,
  newUser,
  startHarness,
  uploadDocument,
  type DocumentJson,
  type Harness,
} from './support/document.harness';
import { highlighted, search } from './search.support';

const ROOT = path.resolve(__dirname, '../../..');
// jest.config.js leaves this suite out, saying so, where the corpus folder is absent.
const CORPUS = path.resolve(ROOT, '../shared/corpus');
const WORKER = path.join(ROOT, 'services/ocr-worker/dist/main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The corpus PDFs go through the real path: upload, the real ocr-worker (built, spawned as its
 * own process on the same exchange) extracts the text layer, `ocr.completed` comes back over
 * RabbitMQ, and search must find what the manifest names.
 */
describe('searching real PDFs extracted by the ocr-worker', () => {
  let harness: Harness;
  let worker: ChildProcess;
  const user = newUser();
  const documents: Record<string, DocumentJson> = {};
  const bus = { AMQP_EXCHANGE: uniqueName('search-corpus'), AMQP_QUEUE: uniqueName('q') };
  const queues = [
    ...['document', 'ocr-worker'].flatMap((name) => [
      `${bus.AMQP_QUEUE}.${name}`,
      `${bus.AMQP_QUEUE}.${name}.dlq`,
    ]),
    ...[...new Set(DEFAULT_RETRY.backoffMs)].map(
      (ms) => `${bus.AMQP_QUEUE}.document.retry.${ms}ms`,
    ),
    `${bus.AMQP_QUEUE}.ocr-worker.retry.500ms`,
  ];

  beforeAll(async () => {
    if (!fs.existsSync(WORKER)) throw new Error(`build the ocr-worker first: ${WORKER} is missing`);
    // The service and the worker share an exchange of this file's own, not the harness listener's.
    harness = await startHarness(bus);
    const workerPort = await freePort();
    worker = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        ...bus,
        OCR_RETRY_DELAY_MS: '500',
        DOCUMENT_SERVICE_URL: harness.baseUrl,
        INTERNAL_API_TOKEN: INTERNAL_TOKEN,
        PORT: String(workerPort),
        PROMETHEUS_ENABLED: 'false',
        OCR_CONCURRENCY: '1',
        LOG_LEVEL: process.env.SEARCH_CORPUS_WORKER_LOG ?? 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });

    // Its queue must exist before the first upload, or document.created finds no subscriber.
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${workerPort}/api/health/ready`).catch(() => undefined))
          ?.ok === true,
      { description: 'the ocr-worker ready', timeoutMs: 60_000 },
    );

    for (const file of ['pdfjs__issue13226.pdf', 'pdfjs__issue10640.pdf']) {
      const document = await uploadDocument(harness, user, {
        bytes: fs.readFileSync(path.join(CORPUS, file)),
        filename: file,
      });
      documents[file] = document;
      await waitFor(
        async () => {
          const response = await call(harness, user, 'GET', `/api/documents/${document.id}`);
          const status = ((await response.json()) as DocumentJson).ocr_status;
          if (status === 'failed') throw new Error(`OCR of ${file} failed`);
          return status === 'completed';
        },
        { description: `OCR of ${file}`, timeoutMs: 120_000 },
      );
    }
  }, 180_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await harness?.close();
    await deleteBrokerTopology(bus.AMQP_EXCHANGE, queues).catch(() => undefined);
  });

  it.each([['Mitarbeiterinnen'], ['Ländern'], ['landern'], ['Mitarbeiter arbeiten']])(
    'when searching %j, then pdfjs__issue13226.pdf (soft hyphens) is found',
    async (query) => {
      const result = await search(harness, user, { q: query });

      expect(result.documents.map((hit) => hit.id)).toEqual([
        documents['pdfjs__issue13226.pdf']!.id,
      ]);
      expect(result.documents[0]!.snippets[0]!.text).not.toContain('\u00AD');
    },
  );

  it('when searching Mitarbeiterinnen, then the highlight covers the whole word on page 1', async () => {
    const result = await search(harness, user, { q: 'Mitarbeiterinnen' });
    const snippet = result.documents[0]!.snippets[0]!;

    expect(snippet.page).toBe(1);
    expect(highlighted(snippet)).toEqual(['Mitarbeiterinnen']);
  });

  it.each([['neutral'], ['figure'], ['files'], ['humanist sans serif typeface']])(
    'when searching %j, then pdfjs__issue10640.pdf (ligatures, neu-/tral) is found',
    async (query) => {
      const result = await search(harness, user, { q: query });

      expect(result.documents.map((hit) => hit.id)).toContain(
        documents['pdfjs__issue10640.pdf']!.id,
      );
    },
  );
});
