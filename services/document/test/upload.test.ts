import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { SNIFF_BYTES } from '../src/domain/mime.sniffer';
import {
  newUser,
  startHarness,
  upload,
  uploadDocument,
  call,
  INTERNAL_TOKEN,
  type DocumentJson,
  type Harness,
} from './support/document.harness';
import { pdfBytes, pngBytes, textBytes, utf16Bytes } from './support/file.factory';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('uploading and downloading documents', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ MAX_UPLOAD_SIZE_MB: '1' });
  });

  afterAll(async () => {
    await harness.close();
  });

  it('when a PDF is uploaded with fields, then 201 answers the full document shape', async () => {
    const user = newUser();
    const bytes = pdfBytes();

    const response = await upload(harness, user, {
      bytes,
      filename: 'Quarterly report.pdf',
      fields: { labels: '["finance", "q3"]', metadata: '{"source":"scanner"}' },
    });

    expect(response.status).toBe(201);
    const document = (await response.json()) as DocumentJson;
    expect(Object.keys(document).sort()).toEqual(
      [
        'id',
        'title',
        'filename',
        'original_filename',
        'mime_type',
        'file_size',
        'file_hash',
        'labels',
        'metadata',
        'ocr_status',
        'ocr_confidence',
        'ocr_word_count',
        'page_count',
        'ocr_failure_reason',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(document).toMatchObject({
      title: 'Quarterly report',
      filename: 'Quarterly_report.pdf',
      original_filename: 'Quarterly report.pdf',
      mime_type: 'application/pdf',
      file_size: bytes.length,
      file_hash: sha256(bytes),
      labels: ['finance', 'q3'],
      metadata: { source: 'scanner' },
      ocr_status: 'pending',
      ocr_confidence: null,
    });
  });

  it('when the upload goes to POST /api/documents with a comma list and a title, then it is accepted', async () => {
    const document = await uploadDocument(harness, newUser(), {
      bytes: textBytes(),
      filename: 'notes.txt',
      path: '/api/documents',
      fields: { title: 'My notes', labels: 'a, b,,a' },
    });

    expect(document.title).toBe('My notes');
    expect(document.labels).toEqual(['a', 'b']);
  });

  it.each([
    ['a PNG named .txt', () => pngBytes(), 'picture.txt', 'image/png'],
    ['text named .pdf', () => textBytes('not a pdf at all'), 'fake.pdf', 'text/plain'],
    [
      'a PDF with junk before %PDF',
      () => Buffer.concat([Buffer.from('\u0001\u0002garbage header bytes\n'), pdfBytes()]),
      'junk.bin',
      'application/pdf',
    ],
    ['UTF-16 text with a BOM', () => utf16Bytes(), 'utf16.dat', 'text/plain'],
    [
      'a PDF behind a UTF-8 BOM',
      () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), pdfBytes()]),
      'bom.pdf',
      'application/pdf',
    ],
    [
      'random binary',
      () => Buffer.from([0, 1, 2, 3, 0, 255, 254, 7, 8, 0, 0, 9, Date.now() % 256]),
      'blob.txt',
      'application/octet-stream',
    ],
  ])(
    'when %s is uploaded, then the type comes from the bytes',
    async (_case, bytes, filename, mime) => {
      const document = await uploadDocument(harness, newUser(), {
        bytes: bytes(),
        filename,
        contentType: 'application/x-client-claim',
      });

      expect(document.mime_type).toBe(mime);
    },
  );

  it('when a TIFF keeps its first image directory after the image data, then it is stored as image/tiff', async () => {
    const user = newUser();
    // libtiff (through sharp) writes the directory at the end: far past the sniffed bytes.
    const bytes = await sharp({
      create: { width: 300, height: 300, channels: 3, background: 'white' },
    })
      .tiff({ compression: 'none' })
      .toBuffer();
    expect(bytes.readUInt32LE(4)).toBeGreaterThan(SNIFF_BYTES);

    const response = await upload(harness, user, { bytes, filename: 'scan' });

    expect(response.status).toBe(201);
    expect(((await response.json()) as DocumentJson).mime_type).toBe('image/tiff');
  });

  it('when the file is empty, then 400 EMPTY_FILE and nothing is stored', async () => {
    const before = await harness.storedFiles();

    const response = await upload(harness, newUser(), {
      bytes: Buffer.alloc(0),
      filename: 'e.txt',
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('EMPTY_FILE');
    expect(await harness.storedFiles()).toEqual(before);
  });

  it('when the body holds two file parts, then 400 TOO_MANY_FILES and nothing is stored', async () => {
    const user = newUser();
    const form = new FormData();
    form.append('file', new Blob([textBytes()]), 'one.txt');
    form.append('file', new Blob([pngBytes()]), 'two.png');

    const response = await fetch(`${harness.baseUrl}/api/documents/upload`, {
      method: 'POST',
      headers: user.headers,
      body: form,
    });
    const listed = await call(harness, user, 'GET', '/api/documents');

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'TOO_MANY_FILES' });
    expect(await listed.json()).toMatchObject({ total: 0 });
  });

  it('when there is no file field, then 400', async () => {
    const form = new FormData();
    form.append('title', 'no file');

    const response = await fetch(`${harness.baseUrl}/api/documents/upload`, {
      method: 'POST',
      headers: newUser().headers,
      body: form,
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('FILE_REQUIRED');
  });

  it('when the multipart body ends mid-file, then 400 and the service keeps serving', async () => {
    const user = newUser();
    const before = await harness.storedFiles();
    const truncated =
      '--XX\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\n' +
      'Content-Type: text/plain\r\n\r\ntruncated body without its closing boundary';

    const response = await fetch(`${harness.baseUrl}/api/documents/upload`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'multipart/form-data; boundary=XX' },
      body: truncated,
    });
    const after = await call(harness, user, 'GET', '/api/documents');

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('INVALID_UPLOAD');
    expect(after.status).toBe(200);
    expect(await harness.storedFiles()).toEqual(before);
  });

  it('when the file is over MAX_UPLOAD_SIZE_MB, then 413 FILE_TOO_LARGE and no file is left', async () => {
    const before = await harness.storedFiles();

    const response = await upload(harness, newUser(), {
      bytes: Buffer.alloc(1024 * 1024 + 10, 'a'),
      filename: 'big.txt',
    });

    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('FILE_TOO_LARGE');
    expect(await harness.storedFiles()).toEqual(before);
  });

  it('when the same user uploads the same bytes again, then 409 names the existing document', async () => {
    const user = newUser();
    const bytes = textBytes();
    const first = await uploadDocument(harness, user, { bytes, filename: 'one.txt' });

    const response = await upload(harness, user, { bytes, filename: 'two.txt' });

    expect(response.status).toBe(409);
    const body = (await response.json()) as {
      code: string;
      request_id: string;
      details: { existing_document_id: string };
    };
    expect(body.code).toBe('DUPLICATE_DOCUMENT');
    expect(body.request_id).toEqual(expect.any(String));
    expect(body.details.existing_document_id).toBe(first.id);
  });

  it('when another user uploads the same bytes, then it is a new document', async () => {
    const bytes = textBytes();
    await uploadDocument(harness, newUser(), { bytes, filename: 'a.txt' });

    const response = await upload(harness, newUser(), { bytes, filename: 'a.txt' });

    expect(response.status).toBe(201);
  });

  it('when two identical uploads race, then one is 201, the other 409, and one file is stored', async () => {
    const user = newUser();
    const bytes = pngBytes(64, 64);
    const before = (await harness.storedFiles()).length;

    const responses = await Promise.all([
      upload(harness, user, { bytes, filename: 'race.png' }),
      upload(harness, user, { bytes, filename: 'race.png' }),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    expect((await harness.storedFiles()).length).toBe(before + 1);
  });

  it('when a document is downloaded, then the bytes, type, length and filename* are right', async () => {
    const user = newUser();
    const bytes = pngBytes();
    const document = await uploadDocument(harness, user, {
      bytes,
      filename: 'I18N_title_áéíóúüñÑ.png',
    });

    const response = await call(harness, user, 'GET', `/api/documents/${document.id}/download`);

    expect(response.status).toBe(200);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('content-disposition')).toContain(
      "filename*=UTF-8''I18N_title_%C3%A1%C3%A9%C3%AD%C3%B3%C3%BA%C3%BC%C3%B1%C3%91.png",
    );
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('when a download asks for a byte range, then 206 holds exactly those bytes; past the end is 416', async () => {
    const user = newUser();
    const bytes = pngBytes();
    const document = await uploadDocument(harness, user, { bytes, filename: 'ranged.png' });
    const ranged = (range: string) =>
      fetch(`${harness.baseUrl}/api/documents/${document.id}/download`, {
        headers: { ...user.headers, Range: range },
      });

    const head = await ranged('bytes=0-9');
    const tail = await ranged('bytes=-5');
    const several = await ranged('bytes=0-1,4-5');
    const beyond = await ranged(`bytes=${bytes.length}-`);

    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-9/${bytes.length}`);
    expect(head.headers.get('content-length')).toBe('10');
    expect(Buffer.from(await head.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(-5))).toBe(true);
    // Several ranges are sent as the whole file rather than as multipart/byteranges.
    expect(several.status).toBe(200);
    expect(Buffer.from(await several.arrayBuffer()).equals(bytes)).toBe(true);
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect(await beyond.json()).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
  });

  it('when the name holds a #, then filename* keeps it', async () => {
    const user = newUser();
    const document = await uploadDocument(harness, user, {
      bytes: pdfBytes(),
      filename: 'empty#hash.pdf',
    });

    const response = await call(harness, user, 'GET', `/api/documents/${document.id}/download`);
    await response.arrayBuffer();

    expect(document.original_filename).toBe('empty#hash.pdf');
    expect(response.headers.get('content-disposition')).toContain(
      "filename*=UTF-8''empty%23hash.pdf",
    );
  });

  it.each([
    ['收据.png', 'document.png'],
    ['Prüfung – März.png', 'Prufung_Marz.png'],
    ['__scan__.png', 'scan.png'],
  ])(
    'when %s is downloaded, then the plain filename is %s and filename* keeps the name',
    async (name, ascii) => {
      const user = newUser();
      const document = await uploadDocument(harness, user, { bytes: pngBytes(), filename: name });

      const response = await call(harness, user, 'GET', `/api/documents/${document.id}/download`);
      await response.arrayBuffer();

      expect(document.filename).toBe(ascii);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
    },
  );

  it('when the ocr-worker fetches the internal file route, then it needs only the token', async () => {
    const bytes = pdfBytes();
    const document = await uploadDocument(harness, newUser(), { bytes, filename: 'x.pdf' });
    const url = `${harness.baseUrl}/internal/documents/${document.id}/file`;

    const allowed = await fetch(url, { headers: { 'X-Internal-Token': INTERNAL_TOKEN } });
    const refused = await fetch(url, {
      headers: { 'X-Internal-Token': 'wrong-token-wrong-token' },
    });

    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await allowed.arrayBuffer()).equals(bytes)).toBe(true);
    expect(refused.status).toBe(401);
  });

  it('when the internal token is missing or wrong, then user routes answer 401', async () => {
    const user = newUser();
    const withoutToken = { 'X-User-Id': user.id };
    const wrongToken = { ...user.headers, 'X-Internal-Token': 'x'.repeat(INTERNAL_TOKEN.length) };

    const responses = await Promise.all([
      fetch(`${harness.baseUrl}/api/documents`, { headers: withoutToken }),
      fetch(`${harness.baseUrl}/api/documents`, { headers: wrongToken }),
      fetch(`${harness.baseUrl}/api/search?q=x`, { headers: withoutToken }),
    ]);

    expect(responses.map((response) => response.status)).toEqual([401, 401, 401]);
  });
});
