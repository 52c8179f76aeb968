import * as Encrypting from '@cantoo/pdf-lib';
import { PDFDocument, StandardFonts } from 'pdf-lib';

import {
  createTestExtractor,
  expectInOrder,
  failureReason,
  loose,
} from './support/extractor.factory';
import { ENGINES } from './support/engine.factory';
import { textPng } from './support/fixture.factory';

/** A two-page A4 PDF: page 1 has a text layer, page 2 is only an image of text. */
async function mixedPdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);

  const textPage = pdf.addPage([595, 842]);
  textPage.drawText('Born digital first page', { x: 72, y: 760, size: 14, font });

  const scan = await pdf.embedPng(await textPng(['Scanned second page']));
  const imagePage = pdf.addPage([595, 842]);
  imagePage.drawImage(scan, {
    x: 36,
    y: 600,
    width: 523,
    height: scan.height * (523 / scan.width),
  });

  return Buffer.from(await pdf.save());
}

/** A one-page text PDF encrypted with RC4/AES by @cantoo/pdf-lib (pdf-lib cannot encrypt). */
async function encryptedPdf(userPassword: string): Promise<Buffer> {
  const pdf = await Encrypting.PDFDocument.create();
  const font = await pdf.embedFont(Encrypting.StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText('Quarterly statement of account', { x: 72, y: 760, font });
  pdf.encrypt({
    userPassword,
    ownerPassword: 'owner-only-secret',
    permissions: { printing: false, modifying: false, copying: false, annotating: false },
  });
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}

/**
 * A page as a scanner with a broken font writes it: the picture shows real text, but the
 * text layer behind it decodes to symbol soup (no ToUnicode map).
 */
async function garbageLayerPdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const scan = await pdf.embedPng(await textPng(['Quarterly report for the board']));
  const page = pdf.addPage([595, 842]);
  page.drawImage(scan, { x: 36, y: 600, width: 523, height: scan.height * (523 / scan.width) });
  page.drawText('ÿþ¤¦ §¨©ª «¬®¯ °±²³ ´µ¶· ¸¹º» ¼½¾¿ ÀÁÂÃ', { x: 36, y: 300, size: 10, font });
  return Buffer.from(await pdf.save());
}

/** A PDF of born-digital pages, one line each, with a classic cross-reference table. */
async function textPdf(lines: string[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const line of lines) {
    pdf.addPage([595, 842]).drawText(line, { x: 72, y: 760, size: 14, font });
  }
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}

/** Ways a PDF's cross-reference data goes wrong while every object in it stays intact. */
type XrefDamage =
  | 'offsets are shifted'
  | 'offsets are zeroed'
  | 'startxref points past the end'
  | 'table is missing'
  | 'table and trailer are cut off';

/**
 * Damages the cross-reference data of a PDF saved without object streams: bytes inserted after
 * the header (a gateway's stamp, so every offset is off), offsets overwritten with zeros, a
 * startxref past the end, the table and startxref cut out (trailer kept), or everything after
 * the last object cut off (a writer that died before its table and trailer).
 */
function damageXref(pdf: Buffer, damage: XrefDamage): Buffer {
  const text = pdf.toString('latin1');
  const table = text.lastIndexOf('\nxref\n') + 1;
  const trailer = text.lastIndexOf('trailer');
  const startxref = text.lastIndexOf('startxref');
  const parts: Record<XrefDamage, () => string> = {
    'offsets are shifted': () =>
      `${text.slice(0, 9)}%% stamped by a mail gateway\n${text.slice(9)}`,
    'offsets are zeroed': () =>
      text.slice(0, table) +
      text.slice(table, trailer).replace(/^\d{10} (\d{5}) n/gmu, '0000000000 $1 n') +
      text.slice(trailer),
    'startxref points past the end': () =>
      `${text.slice(0, startxref)}startxref\n${pdf.length * 2}\n%%EOF\n`,
    'table is missing': () => `${text.slice(0, table)}${text.slice(trailer, startxref)}%%EOF\n`,
    'table and trailer are cut off': () => text.slice(0, table),
  };
  return Buffer.from(parts[damage](), 'latin1');
}

/** True when `startxref` names the offset of an `xref` keyword, as an intact PDF's does. */
function startxrefFindsTable(pdf: Buffer): boolean {
  const tail = pdf.subarray(pdf.lastIndexOf('startxref')).toString('latin1');
  const offset = Number(/^startxref\s+(\d+)/u.exec(tail)?.[1] ?? -1);
  const table = pdf.subarray(offset, offset + 4).toString('latin1') === 'xref';
  const entries = /^xref\s+\d+ \d+\s+(?:\d{10} \d{5} [fn]\s+)*?(\d{10}) \d{5} n/u.exec(
    pdf.subarray(offset).toString('latin1'),
  );
  return table && Number(entries?.[1] ?? 0) > 0;
}

describe('extraction of encrypted PDFs', () => {
  const extractor = createTestExtractor({ pdfPasswords: ['wrong-one', 'statement-2024'] });
  const withoutPasswords = createTestExtractor({ pdfPasswords: [] });

  afterAll(() => Promise.all([extractor.close(), withoutPasswords.close()]));

  const input = (bytes: Buffer) => ({ bytes, mimeType: 'application/pdf', filename: 'a.pdf' });

  test('when a PDF needs a user password and none is configured, then it fails as encrypted', async () => {
    const bytes = await encryptedPdf('statement-2024');

    expect(await failureReason(withoutPasswords.extract(input(bytes)))).toBe('encrypted');
  });

  test('when one of the configured passwords fits, then the PDF is decrypted and read', async () => {
    const result = await extractor.extract(input(await encryptedPdf('statement-2024')));

    expect(result.text).toBe('Quarterly statement of account');
    expect(result.pages[0]?.method).toBe('text-layer');
  });

  test('when no configured password fits, then it fails as encrypted', async () => {
    const bytes = await encryptedPdf('something-else');

    expect(await failureReason(extractor.extract(input(bytes)))).toBe('encrypted');
  });

  test('when a PDF only restricts permissions, then it opens without any password', async () => {
    const result = await withoutPasswords.extract(input(await encryptedPdf('')));

    expect(result.text).toBe('Quarterly statement of account');
  });
});

describe('extraction of several PDFs at once in one process', () => {
  const extractor = createTestExtractor();

  afterAll(() => extractor.close());

  const input = (bytes: Buffer) => ({ bytes, mimeType: 'application/pdf', filename: 'a.pdf' });

  // pdf.js 5.4.624 kept one page count for the whole process: a one-page PDF opened while a
  // longer one was being read page by page made the longer one's next page fail with
  // 'Invalid page request', and the document ended as corrupt.
  test('when one-page PDFs are opened while a long PDF is read page by page, then every page is read', async () => {
    const lines = Array.from({ length: 60 }, (_, page) => `Long document page ${page + 1}`);
    const long = await textPdf(lines);
    const short = await textPdf(['Only page']);

    const readShortOnes = async () => {
      const texts: string[] = [];
      for (let i = 0; i < 10; i++) texts.push((await extractor.extract(input(short))).text);
      return texts;
    };
    const [longResult, shortTexts] = await Promise.all([
      extractor.extract(input(long)),
      readShortOnes(),
    ]);

    expect(longResult.pages.map((page) => page.text)).toEqual(lines);
    expect(shortTexts).toEqual(Array.from({ length: 10 }, () => 'Only page'));
  });
});

describe.each(ENGINES)('extraction of PDFs (%s)', (engine) => {
  const extractor = createTestExtractor({ engine });

  afterAll(() => extractor.close());

  function extract(bytes: Buffer) {
    return extractor.extract({ bytes, mimeType: 'application/pdf', filename: 'document.pdf' });
  }

  test('when a PDF mixes a text page and a scanned page, then both are read in order', async () => {
    const result = await extract(await mixedPdf());

    expect(result.pages.map((page) => page.method)).toEqual(['text-layer', 'ocr']);
    expect(result.pages[0]).toMatchObject({ text: 'Born digital first page', confidence: 100 });
    expectInOrder(result.text, ['born digital first page', 'scanned second page']);
  });

  test('when junk precedes the PDF header, then the PDF is still read', async () => {
    const bytes = Buffer.concat([Buffer.from([0x0a, 0xa0, 0xa4, 0x03]), await mixedPdf()]);

    const result = await extract(bytes);

    expect(result.pages[0]?.text).toBe('Born digital first page');
  });

  test('when a text layer is garbage from a font without a Unicode map, then the page is OCRed', async () => {
    const result = await extract(await garbageLayerPdf());

    expect(result.pages[0]?.method).toBe('ocr');
    expect(loose(result.text)).toContain('quarterly report for the board');
  });

  test('when a UTF-8 byte order mark precedes the header, then the PDF is still read', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await mixedPdf()]);

    const result = await extract(bytes);

    expect(result.pages.map((page) => page.method)).toEqual(['text-layer', 'ocr']);
    expect(result.pages[0]?.text).toBe('Born digital first page');
  });

  test('when a PDF is only a header, then extraction fails as corrupt', async () => {
    expect(await failureReason(extract(Buffer.from('%PDF-1.4\n%%EOF')))).toBe('corrupt');
  });

  test('when the bytes are not a PDF at all, then extraction fails as corrupt', async () => {
    const png = await textPng(['not a pdf']);

    expect(await failureReason(extract(png))).toBe('corrupt');
  });
});

describe('extraction of PDFs with a damaged cross-reference table', () => {
  const extractor = createTestExtractor();
  const lines = ['Ledger page one survives', 'Ledger page two survives'];

  afterAll(() => extractor.close());

  function extract(bytes: Buffer) {
    return extractor.extract({ bytes, mimeType: 'application/pdf', filename: 'ledger.pdf' });
  }

  test('when the table is intact, then the guard used below accepts it', async () => {
    expect(startxrefFindsTable(await textPdf(lines))).toBe(true);
  });

  test.each<XrefDamage>([
    'offsets are shifted',
    'offsets are zeroed',
    'startxref points past the end',
    'table is missing',
    'table and trailer are cut off',
  ])('when the %s, then pdf.js rebuilds the table and every page is read', async (damage) => {
    const damaged = damageXref(await textPdf(lines), damage);
    expect(startxrefFindsTable(damaged)).toBe(false);

    const result = await extract(damaged);

    expect(result.pages).toEqual([
      expect.objectContaining({ page: 1, text: lines[0], method: 'text-layer' }),
      expect.objectContaining({ page: 2, text: lines[1], method: 'text-layer' }),
    ]);
  });

  test('when the offsets of a PDF with a scanned page are off, then the scan is still OCRed', async () => {
    const damaged = damageXref(await mixedPdf(), 'offsets are shifted');
    expect(startxrefFindsTable(damaged)).toBe(false);

    const result = await extract(damaged);

    expect(result.pages.map((page) => page.method)).toEqual(['text-layer', 'ocr']);
    expectInOrder(result.text, ['born digital first page', 'scanned second page']);
  });
});
