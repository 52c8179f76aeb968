import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AnyEnvelope } from '@readur/contracts';
import { testStack, type Stack } from '@readur/stack';
import { delay, waitFor } from '@readur/testkit';
import { listenToExchange, type ExchangeListener } from '@readur/testkit';
import { CORPUS, normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from './client';
import { denseLines, textImage } from './fixtures';

const local = testStack('e2e');
const { runId, logFile } = local;
let stack: Stack;
let alice: ApiUser;
let bob: ApiUser;
let bus: ExchangeListener;

interface OcrJson {
  status: string;
  text: string;
  confidence: number;
  pages: { page: number; text: string; confidence: number }[];
}
interface SearchJson {
  documents: { id: string; snippet?: string }[];
  total: number;
  query_time_ms: number;
}

async function uploadOk(
  user: ApiUser,
  file: string | Buffer,
  name?: string,
): Promise<DocumentJson> {
  const res = await user.upload(file, name);
  if (res.status !== 201)
    throw new Error(`upload of ${name ?? String(file)}: ${res.status} ${await res.text()}`);
  return (await res.json()) as DocumentJson;
}

async function ocrOf(user: ApiUser, id: string): Promise<OcrJson> {
  return (await (await user.request('GET', `/api/documents/${id}/ocr`)).json()) as OcrJson;
}

/** Lines of one service's log with `message` for one document. */
function workerLines(service: string, message: string, documentId: string): string[] {
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${service} {`))
    .filter((line) => line.includes(`"message":"${message}"`) && line.includes(documentId));
}

/** Every `ocr.completed` the broker carried for one document. */
function completionsOf(documentId: string): AnyEnvelope[] {
  return bus.events.filter(
    (envelope) =>
      envelope.event === 'ocr.completed' &&
      (envelope.data as { document_id: string }).document_id === documentId,
  );
}

async function search(user: ApiUser, query: string): Promise<SearchJson> {
  const res = await user.request('GET', `/api/search?q=${encodeURIComponent(query)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as SearchJson;
}

beforeAll(async () => {
  stack = await local.start({
    ocrWorkers: 2,
    env: {
      LOG_LEVEL: 'info',
      OCR_CONCURRENCY: '1',
      MAX_UPLOAD_SIZE_MB: '5',
      OCR_RETRY_DELAY_MS: '500',
    },
  });
  bus = await listenToExchange(local.exchange);
  alice = await signUp(stack.gatewayUrl, `alice_${runId}`);
  bob = await signUp(stack.gatewayUrl, `bob_${runId}`);
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await local.dispose();
}, 60_000);

describe('when a user uploads a scanned page', () => {
  it('then the text printed on it is found through /ocr and /api/search', async () => {
    const image = await textImage(['Readur quarterly invoice', 'Amount due: 1234 kroner']);

    const uploaded = await uploadOk(alice, image, 'scan.png');
    const done = await waitForOcr(alice, uploaded.id);
    const ocr = await ocrOf(alice, uploaded.id);
    const hits = await search(alice, 'quarterly invoice');

    expect(uploaded.mime_type).toBe('image/png');
    expect(done.ocr_status).toBe('completed');
    expect(normalise(ocr.text)).toContain('quarterly invoice');
    expect(ocr.pages).toHaveLength(1);
    expect(hits.documents.map((d) => d.id)).toContain(uploaded.id);
    expect(typeof hits.query_time_ms).toBe('number');
  });
});

describe('when the input is bad', () => {
  it('then an empty file is refused with 400', async () => {
    const res = await alice.upload(Buffer.alloc(0), 'empty.pdf');

    const body = (await res.json()) as { code: string; request_id: string };

    expect(res.status).toBe(400);
    expect(body.code).toBe('EMPTY_FILE');
    expect(body.request_id).toMatch(/\S/);
  });

  it('then a file over the limit is refused with 413', async () => {
    const res = await alice.upload(Buffer.alloc(6 * 1024 * 1024, 1), 'big.bin');

    expect(res.status).toBe(413);
  });

  it('then a multipart body cut off mid-file is refused and the service stays up', async () => {
    const body =
      '--XX\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\n' +
      'Content-Type: text/plain\r\n\r\ntruncated body without its closing boundary';

    const res = await fetch(`${stack.gatewayUrl}/api/documents/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'multipart/form-data; boundary=XX',
      },
      body,
    });
    const after = await alice.request('GET', '/api/documents');

    expect(res.status).toBe(400);
    expect(after.status).toBe(200);
  });

  it('then a header-only PDF is stored, fails as corrupt, and stays downloadable', async () => {
    const bytes = Buffer.from('%PDF-1.4\n%%EOF\n');

    const uploaded = await uploadOk(alice, bytes, 'header-only.pdf');
    const done = await waitForOcr(alice, uploaded.id);
    const download = await alice.request('GET', `/api/documents/${uploaded.id}/download`);

    expect(done.ocr_status).toBe('failed');
    expect(done.ocr_failure_reason).toBe('corrupt');
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    // A range through the gateway: its status and headers pass unchanged.
    const part = await fetch(`${stack.gatewayUrl}/api/documents/${uploaded.id}/download`, {
      headers: { authorization: `Bearer ${alice.token}`, range: 'bytes=1-3' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1-3/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(1, 4));
  });

  it('then a text file named .pdf is treated as text', async () => {
    const uploaded = await uploadOk(
      alice,
      Buffer.from('Plain words pretending, nothing more.\n'),
      'fake.pdf',
    );
    const done = await waitForOcr(alice, uploaded.id);
    const ocr = await ocrOf(alice, uploaded.id);

    expect(uploaded.mime_type).toBe('text/plain');
    expect(done.ocr_status).toBe('completed');
    expect(ocr.text).toContain('Plain words pretending');
  });
});

describe("when user B goes after user A's document", () => {
  it('then list, read, download, OCR, search and delete all behave as if it did not exist', async () => {
    const secret = await uploadOk(
      alice,
      Buffer.from('zanzibar ledger of alice only\n'),
      'alice.txt',
    );
    await waitForOcr(alice, secret.id);

    const list = (await (await bob.request('GET', '/api/documents')).json()) as {
      documents: { id: string }[];
    };
    const statuses = await Promise.all(
      ['', '/download', '/ocr'].map(
        async (suffix) => (await bob.request('GET', `/api/documents/${secret.id}${suffix}`)).status,
      ),
    );
    const hits = await search(bob, 'zanzibar');
    const remove = await bob.request('DELETE', `/api/documents/${secret.id}`);
    const stillThere = await alice.request('GET', `/api/documents/${secret.id}`);

    expect(list.documents.map((d) => d.id)).not.toContain(secret.id);
    expect(statuses).toEqual([404, 404, 404]);
    expect(hits.total).toBe(0);
    expect(remove.status).toBe(404);
    expect(stillThere.status).toBe(200);
  });
});

describe('when two ocr-workers consume one queue', () => {
  it('then both take documents and each document completes once', async () => {
    const images = await Promise.all(
      Array.from({ length: 6 }, (_, i) => textImage([`shared queue sample ${i}`, 'scaled out'])),
    );

    const uploaded = await Promise.all(
      images.map((image, i) => uploadOk(alice, image, `q${i}.png`)),
    );
    await Promise.all(uploaded.map((document) => waitForOcr(alice, document.id)));
    const ids = new Set(uploaded.map((document) => document.id));
    const finishedBy = new Map<string, string[]>();
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
      const [service, json] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      if (!service.startsWith('ocr-worker') || !json.includes('"ocr completed"')) continue;
      const { document_id } = JSON.parse(json) as { document_id: string };
      if (ids.has(document_id))
        finishedBy.set(document_id, [...(finishedBy.get(document_id) ?? []), service]);
    }
    const workers = new Set([...finishedBy.values()].flat());

    expect(finishedBy.size).toBe(6);
    expect([...finishedBy.values()].every((services) => services.length === 1)).toBe(true);
    expect(workers.size).toBe(2);
  }, 120_000);
});

describe('when an ocr-worker is killed while it holds a message', () => {
  it('then the document still completes, once', async () => {
    const [first, second] = stack.services.filter((s) => s.name.startsWith('ocr-worker'));
    await second!.stop();
    const image = await textImage(denseLines(45, 'crashproof marker page'), {
      width: 2400,
      fontSize: 40,
    });

    const uploaded = await uploadOk(alice, image, 'dense.png');
    const held = await waitFor(
      async () => {
        const res = await alice.request('GET', `/api/documents/${uploaded.id}`);
        const document = (await res.json()) as DocumentJson;
        return document.ocr_status === 'pending' ? undefined : document;
      },
      { timeoutMs: 30_000, intervalMs: 50, description: 'the worker to take the document' },
    );
    await first!.kill();
    const finishedByVictim = workerLines(first!.name, 'ocr completed', uploaded.id);
    await stack.addOcrWorker();
    const done = await waitForOcr(alice, uploaded.id);
    const ocr = await ocrOf(alice, uploaded.id);
    // Time for a second ocr.completed, had the document been extracted twice, to reach the bus.
    await delay(1_000);

    // Held, not finished: the killed worker had started the document and never completed it.
    expect(held.ocr_status).toBe('processing');
    expect(finishedByVictim).toEqual([]);
    expect(done.ocr_status).toBe('completed');
    expect(ocr.pages).toHaveLength(1);
    expect(normalise(ocr.text)).toContain('crashproof marker');
    expect(completionsOf(uploaded.id)).toHaveLength(1);
  }, 180_000);
});

const corpusPresent = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

/** A corpus file's row of MANIFEST.tsv: its checksum and what it must yield. */
interface CorpusEntry {
  sha256: string;
  expected: string;
}

function readManifest(): Map<string, CorpusEntry> {
  const [header = '', ...rows] = fs
    .readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .trim()
    .split('\n');
  const columns = header.split('\t');
  const cell = (cells: string[], name: string) => cells[columns.indexOf(name)] ?? '';
  return new Map(
    rows
      .map((row) => row.split('\t'))
      .map((cells) => [
        cell(cells, 'filename'),
        { sha256: cell(cells, 'sha256'), expected: cell(cells, 'expected_property') },
      ]),
  );
}

/** `'page 1'..'page 3'` spelt out as `'page 1', 'page 2', 'page 3'`. */
function spellRange(_: string, prefix: string, from: string, to: string): string {
  const count = Number(to) - Number(from) + 1;
  return Array.from({ length: count }, (_, n) => `'${prefix}${Number(from) + n}'`).join(', ');
}

/** An expected_property as text to match against: escapes decoded, ranges spelt out, normalised. */
function expectationText(expected: string): string {
  const decoded = expected
    .replace(/\\u([0-9a-f]{4})/giu, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replaceAll('\\n', '\n');
  return normalise(decoded).replace(/'([^'\d]*)(\d+)'\.\.'\1(\d+)'/gu, spellRange);
}

/** Asserts that every phrase occurs in `text`, in the order given. */
function expectInOrder(text: string, phrases: string[]): void {
  let from = 0;
  for (const phrase of phrases) {
    const at = text.indexOf(phrase, from);
    expect({ phrase, found: at >= 0 }).toEqual({ phrase, found: true });
    from = at + phrase.length;
  }
}

/** The corpus cases, registered only where the corpus is (CI has it); elsewhere said plainly. */
function describeCorpus(name: string, cases: () => void): void {
  if (corpusPresent) describe(name, cases);
  else console.warn(`corpus not found at ${CORPUS}: the end-to-end corpus cases did not run`);
}

describeCorpus(`when real documents from ${CORPUS} are uploaded`, () => {
  const manifest = readManifest();
  // Phrases quoted by each file's expected_property in MANIFEST.tsv, in the order the text
  // holds them, and the search that must find the file: a phrase of its own, not a lone word.
  const cases: [file: string, phrases: string[], query: string][] = [
    ['pngx__simple-digital.pdf', ['this is a test document.'], 'this is a test document'],
    ['pngx__multi-page-images.pdf', ['page 1', 'page 2', 'page 3'], 'page 3'],
    [
      'pngx__multi-page-mixed.pdf',
      ['page 1', 'page 2', 'page 3', 'this is a multi page document. page 4.', 'page 5', 'page 6'],
      'page 6',
    ],
    ['pngx__multi-page-images-alpha-rgb.tiff', ['page 1', 'page 2', 'page 3'], 'page 3'],
    [
      'tess__phototest.tif',
      ['this is a lot of 12 point text', 'the quick brown dog jumped over the lazy fox.'],
      'quick brown dog',
    ],
    ['tjs__simple-90.jpg', ['tesseract.js'], 'tesseract.js'],
    ['pngx__document.webp', ['webp document, created 11/14/2022'], 'webp document'],
    ['pngx__decode_error.txt', ['pantothens\uFFFDure'], 'pantothens\uFFFDure'],
    ['mayan__I18N_title_áéíóúüñÑ.png', ['mayan edms documentation'], 'mayan edms documentation'],
  ];

  it.each(cases)(
    '%s yields its text and is found by search',
    async (file, phrases, query) => {
      const entry = manifest.get(file);
      const bytes = fs.readFileSync(path.join(CORPUS, file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry?.sha256);
      for (const phrase of phrases)
        expect(expectationText(entry?.expected ?? '')).toContain(phrase);
      expect(phrases.some((phrase) => phrase.includes(query))).toBe(true);

      const uploaded = await uploadOk(alice, bytes, file);
      const done = await waitForOcr(alice, uploaded.id, 180_000);
      const ocr = await ocrOf(alice, uploaded.id);
      const hits = await search(alice, `"${query}"`);

      expect(done.ocr_status).toBe('completed');
      expectInOrder(normalise(ocr.text), phrases);
      expect(hits.documents.map((d) => d.id)).toContain(uploaded.id);
    },
    240_000,
  );

  it.each(['ocrmypdf__invalid.pdf', 'pdfjs__bug1020226.pdf'])(
    '%s is stored, fails as corrupt and is still downloadable',
    async (file) => {
      const uploaded = await uploadOk(alice, path.join(CORPUS, file));
      const done = await waitForOcr(alice, uploaded.id);
      const download = await alice.request('GET', `/api/documents/${uploaded.id}/download`);

      expect(done.ocr_status).toBe('failed');
      expect(done.ocr_failure_reason).toBe('corrupt');
      expect(Buffer.from(await download.arrayBuffer())).toEqual(
        fs.readFileSync(path.join(CORPUS, file)),
      );
    },
  );

  it('readur__fake_pdf.pdf is sniffed as text and its sentence is kept', async () => {
    const uploaded = await uploadOk(alice, path.join(CORPUS, 'readur__fake_pdf.pdf'));
    const done = await waitForOcr(alice, uploaded.id);
    const ocr = await ocrOf(alice, uploaded.id);

    expect(uploaded.mime_type).toBe('text/plain');
    expect(done.ocr_status).toBe('completed');
    expect(ocr.text).toContain('This is not a PDF file at all');
  });

  it('a non-ASCII file name survives the download header', async () => {
    const name = 'mayan__I18N_title_áéíóúüñÑ.png';
    const res = await bob.upload(path.join(CORPUS, name));
    const uploaded = (await res.json()) as DocumentJson;
    const download = await bob.request('GET', `/api/documents/${uploaded.id}/download`);
    const disposition = download.headers.get('content-disposition') ?? '';

    expect(uploaded.original_filename).toBe(name.normalize('NFC'));
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(name.normalize('NFC'))}`);
  });
});
