import { PDFDocument } from 'pdf-lib';

import { createEngine, ENGINES } from './support/engine.factory';
import { createTestExtractor, failureReason, loose } from './support/extractor.factory';
import { blankPng, textPng } from './support/fixture.factory';

describe.each(ENGINES)('the %s OCR engine', (kind) => {
  const engine = createEngine(kind, { concurrency: 2 });

  afterAll(() => engine.close());

  test('when it reads a clean scan, then the text comes back with a high confidence', async () => {
    const image = await textPng(['Invoice 4711 from Readur', 'Amount due within thirty days']);

    const output = await engine.recognize(image);

    expect(loose(output.text)).toContain('invoice 4711 from readur');
    expect(loose(output.text)).toContain('amount due within thirty days');
    expect(output.confidence).toBeGreaterThan(70);
    expect(output.confidence).toBeLessThanOrEqual(100);
    expect(output.pdf).toBeUndefined();
  });

  test('when a PDF is asked for, then it is one searchable page of the image', async () => {
    const image = await textPng(['Archive copy of page one']);

    const output = await engine.recognize(image, 'eng', { pdf: true });

    const pdf = await PDFDocument.load(output.pdf ?? Buffer.alloc(0));
    expect(pdf.getPageCount()).toBe(1);
    expect(output.pdf?.includes('/Subtype /Image')).toBe(true);
    expect(output.pdf?.includes('GlyphLessFont')).toBe(true);
  });

  test('when the page is blank, then the text is empty', async () => {
    const output = await engine.recognize(await blankPng());

    expect(output.text.trim()).toBe('');
  });

  test('when a page is read in German, then umlauts and ß survive', async () => {
    const image = await textPng(['Größere Bäume für Müller', 'Straße über die Brücke']);

    const output = await engine.recognize(image, 'deu');

    expect(output.text).toContain('Größere Bäume für Müller');
    expect(output.text).toContain('Straße über die Brücke');
  });

  test('when two pages are read at once, then each gets its own text', async () => {
    const [first, second] = await Promise.all([
      textPng(['First parallel page']).then((image) => engine.recognize(image)),
      textPng(['Second parallel page']).then((image) => engine.recognize(image)),
    ]);

    expect(loose(first.text)).toContain('first parallel page');
    expect(loose(second.text)).toContain('second parallel page');
  });

  test('when the languages are listed, then deu, eng and fra are there and osd is not', () => {
    expect(engine.availableLanguages).toEqual(expect.arrayContaining(['deu', 'eng', 'fra']));
    expect(engine.availableLanguages).not.toContain('osd');
    expect(engine.languages).toBe('eng');
  });

  test('when the engine runs inside the Extractor, then an unknown language is refused', async () => {
    const extractor = createTestExtractor({ engine: kind, concurrency: 1 });
    const image = await textPng(['Any text']);

    const reason = await failureReason(
      extractor.extract(
        { bytes: image, mimeType: 'image/png', filename: 'a.png' },
        { languages: 'xyz' },
      ),
    );
    await extractor.close();

    expect(reason).toBe('unsupported_language');
  });
});
