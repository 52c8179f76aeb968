import { randomUUID } from 'node:crypto';
import { createEnvelope, type OcrPageResult } from '@readur/contracts';
import { waitFor } from '@readur/testkit';
import {
  call,
  newUser,
  startHarness,
  uploadDocument,
  type DocumentJson,
  type Harness,
  type TestUser,
} from './support/document.harness';
import { pdfBytes, textBytes } from './support/file.factory';

interface OcrJson {
  status: string;
  text: string | null;
  confidence: number | null;
  pages: { page: number; text: string; confidence: number }[];
}

interface SearchJson {
  documents: (DocumentJson & { rank: number; snippet: string })[];
  total: number;
  query_time_ms: number;
}

const page = (number: number, text: string): OcrPageResult => ({
  page: number,
  text,
  confidence: 91.5,
  method: 'text-layer',
});

const completed = (document: DocumentJson, user: TestUser, pages: OcrPageResult[]) =>
  createEnvelope('ocr.completed', {
    document_id: document.id,
    user_id: user.id,
    title: document.title,
    pages: pages.length,
    confidence: 91.5,
    word_count: pages.reduce((count, entry) => count + entry.text.split(/\s+/).length, 0),
    processing_time_ms: 1234,
    language: 'eng',
    page_results: pages,
  });

describe('consuming OCR events and searching', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  const getDocument = async (user: TestUser, id: string) =>
    (await (await call(harness, user, 'GET', `/api/documents/${id}`)).json()) as DocumentJson;

  const statusOf = (user: TestUser, id: string, status: string) =>
    waitFor(async () => (await getDocument(user, id)).ocr_status === status, {
      description: `document ${id} ${status}`,
    });

  const search = async (user: TestUser, query: string) =>
    (await (await call(harness, user, 'GET', `/api/search?${query}`)).json()) as SearchJson;

  it('when ocr.completed arrives, then the document is completed with its text and searchable', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'scan.pdf',
    });
    await harness.broker.publish(
      createEnvelope('ocr.started', { document_id: document.id, user_id: user.id, attempt: 1 }),
    );
    await statusOf(user, document.id, 'processing');

    await harness.broker.publish(
      completed(document, user, [
        page(1, 'The zebracorn invoice total'),
        page(2, 'second page\u0000 text'),
      ]),
    );
    await statusOf(user, document.id, 'completed');

    const after = await getDocument(user, document.id);
    expect(after).toMatchObject({ ocr_confidence: 91.5, page_count: 2, ocr_word_count: 7 });
    const ocr = (await (
      await call(harness, user, 'GET', `/api/documents/${document.id}/ocr`)
    ).json()) as OcrJson;
    expect(ocr).toEqual({
      status: 'completed',
      text: 'The zebracorn invoice total\n\nsecond page text',
      confidence: 91.5,
      pages: [
        expect.objectContaining({ page: 1, text: 'The zebracorn invoice total', confidence: 91.5 }),
        expect.objectContaining({ page: 2, text: 'second page text' }),
      ],
    });
    const found = await search(user, 'q=zebracorn');
    expect(found.total).toBe(1);
    expect(found.documents[0]).toMatchObject({ id: document.id });
    expect(found.documents[0]?.snippet).toContain('<mark>zebracorn</mark>');
  });

  it('when the pages of a split document arrive, then its confidence weighs each page by its words', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'split.pdf',
    });
    const jobId = randomUUID();
    const words = (count: number) => Array.from({ length: count }, (_, n) => `w${n}`).join(' ');
    const pages: [text: string, confidence: number][] = [
      ['', 0],
      [words(2), 40],
      [words(198), 90],
    ];

    for (const [index, [text, confidence]] of pages.entries()) {
      await harness.broker.publish(
        createEnvelope('ocr.page.completed', {
          document_id: document.id,
          user_id: user.id,
          job_id: jobId,
          page: index + 1,
          page_count: pages.length,
          text,
          confidence,
          method: 'ocr',
          word_count: text === '' ? 0 : text.split(' ').length,
          language: 'eng',
          processing_time_ms: 10,
          archive_page: false,
        }),
      );
    }
    await statusOf(user, document.id, 'completed');

    // (2 x 40 + 198 x 90) / 200 words, the blank page left out; the mean of page means is 65.
    expect(await getDocument(user, document.id)).toMatchObject({
      ocr_confidence: 89.5,
      ocr_word_count: 200,
      page_count: 3,
    });
  });

  it('when the same ocr.completed is delivered twice, then it has one effect', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'twice.pdf',
    });
    const envelope = completed(document, user, [page(1, 'first delivery')]);

    await harness.broker.publish(envelope);
    await statusOf(user, document.id, 'completed');
    await harness.knex('document_pages').where({ document_id: document.id }).delete();
    await harness.broker.publish(envelope);
    await waitFor(
      async () =>
        (await harness.knex('document_inbox').where({ event_id: envelope.id })).length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Had the second delivery run, it would have written the page back.
    expect(await harness.knex('document_pages').where({ document_id: document.id })).toEqual([]);
  });

  it('when ocr.failed arrives, then the document is failed with the reason and still downloadable', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'bad.pdf',
    });

    await harness.broker.publish(
      createEnvelope('ocr.failed', {
        document_id: document.id,
        user_id: user.id,
        title: document.title,
        error: 'the PDF is encrypted',
        reason: 'encrypted',
        attempts: 1,
      }),
    );
    await statusOf(user, document.id, 'failed');

    expect((await getDocument(user, document.id)).ocr_failure_reason).toBe('encrypted');
    const download = await call(harness, user, 'GET', `/api/documents/${document.id}/download`);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(document.file_size);
  });

  it('when ocr.started arrives after completion, then the status stays completed', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'late.pdf',
    });
    await harness.broker.publish(completed(document, user, [page(1, 'done')]));
    await statusOf(user, document.id, 'completed');

    const late = createEnvelope('ocr.started', {
      document_id: document.id,
      user_id: user.id,
      attempt: 1,
    });
    await harness.broker.publish(late);
    await waitFor(
      async () => (await harness.knex('document_inbox').where({ event_id: late.id })).length === 1,
    );

    expect((await getDocument(user, document.id)).ocr_status).toBe('completed');
  });

  it('when an event names a deleted document, then it is skipped, not retried', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'gone.pdf',
    });
    await call(harness, user, 'DELETE', `/api/documents/${document.id}`);
    const envelope = completed(document, user, [page(1, 'orphan')]);

    await harness.broker.publish(envelope);

    await waitFor(
      async () =>
        (await harness.knex('document_inbox').where({ event_id: envelope.id })).length === 1,
      { description: 'the event recorded as handled' },
    );
    expect(await harness.knex('document_pages').where({ document_id: document.id })).toEqual([]);
  });

  it('when searching, then title matches rank above text matches and results are user-scoped', async () => {
    const user = newUser();
    const other = newUser();
    const inTitle = await uploadDocument(harness, user, {
      bytes: textBytes(),
      filename: 'Quokka census.txt',
    });
    const inText = await uploadDocument(harness, user, {
      bytes: textBytes(),
      filename: 'misc.txt',
    });
    const othersDocument = await uploadDocument(harness, other, {
      bytes: textBytes(),
      filename: 'quokka.txt',
    });
    await harness.broker.publish(
      completed(inTitle, user, [page(1, 'animals counted on the island')]),
    );
    await harness.broker.publish(
      completed(inText, user, [page(1, 'we saw a <b>quokka</b> near the ferry & the beach')]),
    );
    await harness.broker.publish(completed(othersDocument, other, [page(1, 'quokka')]));
    await statusOf(user, inTitle.id, 'completed');
    await statusOf(user, inText.id, 'completed');

    const result = await search(user, 'q=quokka');
    const filtered = await search(user, 'q=quokka&mime_type=application/pdf');

    expect(result.total).toBe(2);
    expect(result.documents.map((hit) => hit.id)).toEqual([inTitle.id, inText.id]);
    expect(result.documents[0]!.rank).toBeGreaterThan(result.documents[1]!.rank);
    expect(result.documents[1]!.snippet).toContain('&lt;b&gt;<mark>quokka</mark>&lt;/b&gt;');
    expect(result.query_time_ms).toEqual(expect.any(Number));
    expect(filtered.total).toBe(0);
  });

  it('when q is missing or blank, then 400 QUERY_REQUIRED', async () => {
    const user = newUser();

    const missing = await call(harness, user, 'GET', '/api/search');
    const blank = await call(harness, user, 'GET', '/api/search?q=%20%20');

    expect(missing.status).toBe(400);
    expect(blank.status).toBe(400);
    expect(((await missing.json()) as { code: string }).code).toBe('QUERY_REQUIRED');
  });
});
