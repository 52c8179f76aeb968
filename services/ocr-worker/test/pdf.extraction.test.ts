import * as Encrypting from '@cantoo/pdf-lib';
import { PDFDocument, StandardFonts } from 'pdf-lib';

import {
  createTestExtractor,
  expectInOrder,
  failureReason,
  loose,
} from './support/extractor.factory';
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

describe('extraction of PDFs', () => {
  const extractor = createTestExtractor();

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
