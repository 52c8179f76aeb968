import { createHash } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { testStack, type ServiceProcess, type Stack } from '@readur/stack';
import { normalise, signUp, waitForOcr, type ApiUser, type DocumentJson } from './client';
import { mixedPdf, PAGE_WORDS, scannedPages } from './ocr-pages.fixtures';

const local = testStack('ocr-pages');
const { runId } = local;
/** Every output line per service, to see which replica did what. */
const lines: { service: string; line: string }[] = [];
let stack: Stack;
let user: ApiUser;

interface OcrJson {
  status: string;
  text: string;
  pages: { page: number; text: string; method: string }[];
}

async function uploadOk(bytes: Buffer, name: string): Promise<DocumentJson> {
  const res = await user.upload(bytes, name);
  if (res.status !== 201) throw new Error(`upload of ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as DocumentJson;
}

async function ocrOf(id: string): Promise<OcrJson> {
  return (await (await user.request('GET', `/api/documents/${id}/ocr`)).json()) as OcrJson;
}

/** Pages each worker logged with `message` for one document. */
function pagesLogged(documentId: string, message: string): Map<string, number[]> {
  const byWorker = new Map<string, number[]>();
  for (const { service, line } of lines) {
    if (!line.includes(`"message":"${message}"`) || !line.includes(documentId)) continue;
    const page = Number((JSON.parse(line) as { page: number }).page);
    byWorker.set(service, [...(byWorker.get(service) ?? []), page]);
  }
  return byWorker;
}

/** The JSON log entries of the ocr-workers with `message` for one document, in order. */
function workerEntries(documentId: string, message: string): Record<string, unknown>[] {
  return lines
    .filter(({ service, line }) => service.startsWith('ocr-worker') && line.startsWith('{'))
    .map(({ line }) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.message === message && entry.document_id === documentId);
}

async function waitForLine(seen: () => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error('the expected log line never came');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Asserts that page n of the result is page n of the document, each page exactly once. */
function expectPagesInOrder(ocr: OcrJson, count: number): void {
  expect(ocr.pages.map((page) => page.page)).toEqual(
    Array.from({ length: count }, (_, i) => i + 1),
  );
  ocr.pages.forEach((page, index) => {
    expect(normalise(page.text)).toContain(`page ${index + 1} ${PAGE_WORDS[index]}`);
  });
  for (const word of PAGE_WORDS.slice(0, count)) {
    expect(normalise(ocr.text).split(word).length - 1).toBe(1);
  }
}

beforeAll(async () => {
  stack = await local.start({
    ocrWorkers: 2,
    env: { LOG_LEVEL: 'info', OCR_CONCURRENCY: '1', OCR_RETRY_DELAY_MS: '500' },
    output: (service, line) => lines.push({ service, line }),
  });
  user = await signUp(stack.gatewayUrl, `pages_${runId}`);
}, 180_000);

afterAll(async () => {
  await local.dispose();
}, 60_000);

describe('when a multi-page scan is uploaded to two ocr-worker replicas', () => {
  let document: DocumentJson;
  let original: Buffer;

  beforeAll(async () => {
    original = await mixedPdf([
      ...scannedPages(3),
      { text: 'Page 4 dolphin marker' },
      ...scannedPages(6).slice(4),
    ]);
    document = await uploadOk(original, 'sechs Seiten – Prüfung.pdf');
    document = await waitForOcr(user, document.id, 240_000);
  }, 300_000);

  it('then both replicas OCR its pages and the text comes back in page order, once each', async () => {
    const ocr = await ocrOf(document.id);

    expect(document.ocr_status).toBe('completed');
    expect(document.page_count).toBe(6);
    expectPagesInOrder(ocr, 6);
    expect(ocr.pages[3]?.method).toBe('text-layer');
    const byWorker = pagesLogged(document.id, 'ocr page completed');
    expect([...byWorker.keys()].sort()).toEqual(['ocr-worker-1', 'ocr-worker-2']);
    expect([...byWorker.values()].flat().sort()).toEqual([1, 2, 3, 5, 6]);
  });

  it('then each OCRed page is logged at info with its number and the page count', () => {
    const progress = workerEntries(document.id, 'ocr page completed')
      .map(({ level, page, pages }) => ({ level, page, pages }))
      .sort((a, b) => Number(a.page) - Number(b.page));

    expect(progress).toEqual([1, 2, 3, 5, 6].map((page) => ({ level: 'info', page, pages: 6 })));
  });

  it('then a searchable archive PDF with every page is served under an ASCII-safe name and the original is unchanged', async () => {
    const archive = await user.request('GET', `/api/documents/${document.id}/archive`);
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-type')).toBe('application/pdf');
    expect(archive.headers.get('content-disposition')).toBe(
      'attachment; filename="sechs_Seiten_Prufung.searchable.pdf"; ' +
        `filename*=UTF-8''${encodeURIComponent('sechs Seiten – Prüfung.searchable.pdf')}`,
    );
    const pdf = await PDFDocument.load(Buffer.from(await archive.arrayBuffer()));
    expect(pdf.getPageCount()).toBe(6);

    const download = await user.request('GET', `/api/documents/${document.id}/download`);
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(original));
  });

  it('then a 400-pixel-wide WebP thumbnail of the first page is served', async () => {
    const res = await user.request('GET', `/api/documents/${document.id}/thumbnail`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-thumbnail-placeholder')).toBeNull();
    const metadata = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(metadata.format).toBe('webp');
    expect(metadata.width).toBe(400);
  });
});

describe('when a multi-page PDF is extracted in one piece', () => {
  it('then its progress is logged at info as page n of 3 after each page', async () => {
    // One page to OCR is too few to split, so one worker reads all three in turn.
    const pdf = await mixedPdf([
      { text: 'Page 1 apple marker' },
      ...scannedPages(2).slice(1),
      { text: 'Page 3 cherry marker' },
    ]);

    const document = await waitForOcr(user, (await uploadOk(pdf, 'three-pages.pdf')).id);
    const progress = workerEntries(document.id, 'ocr progress').map(({ level, page, pages }) => ({
      level,
      page,
      pages,
    }));

    expect(document).toMatchObject({ ocr_status: 'completed', page_count: 3 });
    expect(workerEntries(document.id, 'ocr split into pages')).toEqual([]);
    expect(progress).toEqual([1, 2, 3].map((page) => ({ level: 'info', page, pages: 3 })));
  });
});

describe('when a replica is killed in the middle of a page', () => {
  it('then another replica takes the page over and every page is stored once, in order', async () => {
    const pdf = await mixedPdf(scannedPages(8, 30));
    const document = await uploadOk(pdf, 'crash-eight-pages.pdf');
    const startedBy = (service: string) =>
      pagesLogged(document.id, 'ocr page started').get(service) ?? [];
    // Its second page: the first is done, so this one is certainly in the middle of OCR.
    await waitForLine(() => startedBy('ocr-worker-1').length >= 2);
    const interrupted = startedBy('ocr-worker-1')[1];
    const victim = stack.services.find((service) => service.name === 'ocr-worker-1');

    await (victim as ServiceProcess).kill();
    const done = await waitForOcr(user, document.id, 300_000);

    expect(done.ocr_status).toBe('completed');
    expectPagesInOrder(await ocrOf(document.id), 8);
    const completed = pagesLogged(document.id, 'ocr page completed');
    expect(completed.get('ocr-worker-1') ?? []).not.toContain(interrupted);
    expect(completed.get('ocr-worker-2')).toContain(interrupted);
  }, 360_000);
});

describe('when OCR of a document is asked for again', () => {
  it('then it is requeued with the new languages and completes again; a queued one answers 409', async () => {
    const document = await uploadOk(await mixedPdf(scannedPages(2)), 'retry.pdf');
    await waitForOcr(user, document.id, 120_000);

    const retry = await user.request('POST', `/api/documents/${document.id}/ocr/retry`, {
      ocr_languages: 'eng+deu',
    });
    const again = await user.request('POST', `/api/documents/${document.id}/ocr/retry`, {});

    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ ocr_status: 'pending', ocr_languages: 'eng+deu' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('OCR_IN_PROGRESS');
    const done = await waitForOcr(user, document.id, 120_000);
    expect(done.ocr_status).toBe('completed');
    expectPagesInOrder(await ocrOf(document.id), 2);
  }, 300_000);

  it('then unknown languages are refused with 400 and the available list', async () => {
    const document = await uploadOk(
      await mixedPdf([{ text: 'Only a text layer here' }]),
      'text.pdf',
    );
    await waitForOcr(user, document.id);

    const res = await user.request('POST', `/api/documents/${document.id}/ocr/retry`, {
      ocr_languages: 'xyz',
    });

    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_OCR_LANGUAGE');
  });
});

describe('when documents without a picture or without a scan are asked for their outputs', () => {
  it('then a text file gets a placeholder thumbnail and no archive (404 ARCHIVE_NOT_FOUND)', async () => {
    const document = await uploadOk(Buffer.from('plain words in a text file\n'), 'notes.txt');
    await waitForOcr(user, document.id);

    const thumbnail = await user.request('GET', `/api/documents/${document.id}/thumbnail`);
    const archive = await user.request('GET', `/api/documents/${document.id}/archive`);

    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('x-thumbnail-placeholder')).toBe('true');
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width).toBe(400);
    expect(archive.status).toBe(404);
    expect(((await archive.json()) as { code: string }).code).toBe('ARCHIVE_NOT_FOUND');
  });

  it('then a corrupt PDF fails as corrupt and still gets a placeholder thumbnail', async () => {
    const document = await uploadOk(
      Buffer.from('%PDF-1.7\n% nothing but a header\n'),
      'broken.pdf',
    );
    const done = await waitForOcr(user, document.id);

    const thumbnail = await user.request('GET', `/api/documents/${document.id}/thumbnail`);

    expect(done.ocr_status).toBe('failed');
    expect(done.ocr_failure_reason).toBe('corrupt');
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('x-thumbnail-placeholder')).toBe('true');
  });
});

describe('when the queue is asked for its figures', () => {
  it('then it reports pending, processing, failed, completed today and the oldest pending age', async () => {
    const res = await user.request('GET', '/api/queue/stats');

    expect(res.status).toBe(200);
    const stats = (await res.json()) as Record<string, number | null>;
    expect(stats).toMatchObject({
      pending: 0,
      processing: 0,
      failed: 1,
      oldest_pending_age_seconds: null,
    });
    expect(stats.completed_today).toBeGreaterThanOrEqual(4);
  });
});
