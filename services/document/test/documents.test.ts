import {
  call,
  newUser,
  startHarness,
  uploadDocument,
  type DocumentJson,
  type Harness,
} from './support/document.harness';
import { pdfBytes, pngBytes, textBytes } from './support/file.factory';

interface ListJson {
  documents: DocumentJson[];
  total: number;
  limit: number;
  offset: number;
}

describe('reading, editing and deleting documents', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('when a document is uploaded, then document.created is published after the commit', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: pdfBytes(), filename: 'c.pdf' });

    const event = await harness.broker.waitForEvent(
      'document.created',
      (envelope) => envelope.data.document_id === document.id,
    );

    expect(event.data).toMatchObject({
      user_id: user.id,
      title: 'c',
      filename: 'c.pdf',
      mime_type: 'application/pdf',
      file_size: document.file_size,
      file_hash: document.file_hash,
    });
  });

  it('when documents are listed, then paging, totals and filters apply', async () => {
    const user = newUser();
    await uploadDocument(harness, user, { bytes: pdfBytes(), filename: '1.pdf' });
    await uploadDocument(harness, user, { bytes: pdfBytes(), filename: '2.pdf' });
    const png = await uploadDocument(harness, user, { bytes: pngBytes(), filename: '3.png' });

    const firstPage = (await (
      await call(harness, user, 'GET', '/api/documents?limit=2&offset=0')
    ).json()) as ListJson;
    const secondPage = (await (
      await call(harness, user, 'GET', '/api/documents?limit=2&offset=2')
    ).json()) as ListJson;
    const images = (await (
      await call(harness, user, 'GET', '/api/documents?mime_type=image/png')
    ).json()) as ListJson;
    const completed = (await (
      await call(harness, user, 'GET', '/api/documents?ocr_status=completed')
    ).json()) as ListJson;

    expect(firstPage).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(firstPage.documents).toHaveLength(2);
    expect(secondPage.documents).toHaveLength(1);
    expect(images.documents.map((document) => document.id)).toEqual([png.id]);
    expect(completed.total).toBe(0);
  });

  it('when the limit is over 100, then 400', async () => {
    const response = await call(harness, newUser(), 'GET', '/api/documents?limit=101');

    expect(response.status).toBe(400);
  });

  it('when a document is patched, then it changes and document.updated names the changes', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: textBytes(), filename: 'p.txt' });

    const response = await call(harness, user, 'PATCH', `/api/documents/${document.id}`, {
      title: 'Renamed',
      labels: ['x'],
      metadata: document.metadata,
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ title: 'Renamed', labels: ['x'] });
    const event = await harness.broker.waitForEvent(
      'document.updated',
      (envelope) => envelope.data.document_id === document.id,
    );
    expect(event.data).toMatchObject({
      title: 'Renamed',
      labels: ['x'],
      changes: ['title', 'labels'],
    });
  });

  it('when a patch has an unknown field, then 400', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: textBytes(), filename: 'p.txt' });

    const response = await call(harness, user, 'PATCH', `/api/documents/${document.id}`, {
      mime_type: 'application/pdf',
    });

    expect(response.status).toBe(400);
  });

  it.each([
    ['a NUL character in the title', { title: 'a\u0000b' }],
    ['a NUL character in a label', { labels: ['ok', 'x\u0000'] }],
    ['a NUL character in metadata', { metadata: { note: 'a\u0000b' } }],
  ])('when a patch carries %s, then 400 VALIDATION_FAILED, not 500', async (_, body) => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: textBytes(), filename: 'n.txt' });

    const response = await call(harness, user, 'PATCH', `/api/documents/${document.id}`, body);

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('when a patch carries metadata nested 5000 levels deep, then 400 VALIDATION_FAILED', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: textBytes(), filename: 'd.txt' });
    const deep = `{"metadata":${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}}`;

    const response = await fetch(`${harness.baseUrl}/api/documents/${document.id}`, {
      method: 'PATCH',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: deep,
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('when a document is deleted, then the row and file are gone and document.deleted is published', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, { bytes: pdfBytes(), filename: 'd.pdf' });
    const filesBefore = (await harness.storedFiles()).length;

    const response = await call(harness, user, 'DELETE', `/api/documents/${document.id}`);

    expect(response.status).toBe(204);
    expect((await call(harness, user, 'GET', `/api/documents/${document.id}`)).status).toBe(404);
    expect(await harness.knex('documents').where({ id: document.id }).first()).toBeUndefined();
    expect((await harness.storedFiles()).length).toBe(filesBefore - 1);
    const event = await harness.broker.waitForEvent(
      'document.deleted',
      (envelope) => envelope.data.document_id === document.id,
    );
    expect(event.data).toMatchObject({ user_id: user.id, title: 'd' });
  });

  it("when user B asks for user A's document, then every route answers 404", async () => {
    const owner = newUser();
    const other = newUser();
    const document = await uploadDocument(harness, owner, { bytes: pdfBytes(), filename: 'a.pdf' });
    const base = `/api/documents/${document.id}`;

    const statuses = await Promise.all([
      call(harness, other, 'GET', base),
      call(harness, other, 'GET', `${base}/download`),
      call(harness, other, 'GET', `${base}/ocr`),
      call(harness, other, 'PATCH', base, { title: 'stolen' }),
      call(harness, other, 'DELETE', base),
    ]).then((responses) => responses.map((response) => response.status));
    const otherList = (await (
      await call(harness, other, 'GET', '/api/documents')
    ).json()) as ListJson;

    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    expect(otherList.total).toBe(0);
    expect((await call(harness, owner, 'GET', base)).status).toBe(200);
  });

  it('when the id is not a uuid, then 404 DOCUMENT_NOT_FOUND', async () => {
    const response = await call(harness, newUser(), 'GET', '/api/documents/not-a-uuid');

    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: string }).code).toBe('DOCUMENT_NOT_FOUND');
  });
});
