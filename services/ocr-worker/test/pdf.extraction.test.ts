import { PDFDocument, StandardFonts } from 'pdf-lib';

import { createTestExtractor, expectInOrder, failureReason } from './support/extractor.factory';
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

  test('when a PDF is only a header, then extraction fails as corrupt', async () => {
    expect(await failureReason(extract(Buffer.from('%PDF-1.4\n%%EOF')))).toBe('corrupt');
  });

  test('when the bytes are not a PDF at all, then extraction fails as corrupt', async () => {
    const png = await textPng(['not a pdf']);

    expect(await failureReason(extract(png))).toBe('corrupt');
  });
});
