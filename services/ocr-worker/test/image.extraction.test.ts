import type { ExtractionProgress } from '../src/domain';
import { ENGINES } from './support/engine.factory';
import {
  createTestExtractor,
  expectInOrder,
  failureReason,
  loose,
} from './support/extractor.factory';
import {
  blankPng,
  bmpOf,
  bombPng,
  exifRotatedJpeg,
  multiPageTiff,
  textPng,
  twoColumnPng,
} from './support/fixture.factory';

describe.each(ENGINES)('extraction of images (%s)', (engine) => {
  const extractor = createTestExtractor({ engine, maxImagePixels: 50_000_000 });

  afterAll(() => extractor.close());

  function extract(bytes: Buffer, mimeType: string, onProgress?: (p: ExtractionProgress) => void) {
    return extractor.extract({ bytes, mimeType, filename: 'scan' }, { onProgress });
  }

  test('when a PNG shows text, then OCR reads the words', async () => {
    const png = await textPng(['The invoice total is 1234 euros', 'Payable within thirty days']);

    const result = await extract(png, 'image/png');

    expectInOrder(result.text, ['the invoice total is 1234 euros', 'payable within thirty days']);
    expect(result.pages[0]).toMatchObject({ page: 1, method: 'ocr' });
    expect(result.confidence).toBeGreaterThan(70);
    expect(result.wordCount).toBe(10);
  });

  test('when a page has a two-line heading over two columns, then every line is read, column by column', async () => {
    // Eight lines a column: with fewer, tesseract takes the two columns for rows of a table.
    const left = [
      'Orchards bloom early in the valley when',
      'winters stay mild and the frost leaves',
      'before the middle of March and bees',
      'arrive soon after the first long thaw',
      'growers prune their trees in February',
      'and sell the first cherries in June',
      'while apples wait until the autumn',
      'when the nights grow cold again',
    ];
    const right = [
      'Harbours grow quiet along the coast once',
      'the fishing boats leave before dawn for',
      'the northern banks where cod gather in',
      'the cold water that spring brings down',
      'crews return late on the evening tide',
      'and unload their catch by lamplight',
      'before the market opens at six',
      'and buyers bid for the best boxes',
    ];
    const png = await twoColumnPng(['The Garden Almanac', 'Spring Planting Guide'], left, right);

    const result = await extract(png, 'image/png');

    expectInOrder(result.text, ['the garden almanac', 'spring planting guide']);
    expectInOrder(result.text, [...left, ...right].map(loose));
  });

  test('when a JPEG carries EXIF orientation 6, then it is turned upright before OCR', async () => {
    const jpeg = await exifRotatedJpeg(await textPng(['Orientation matters here']));

    const result = await extract(jpeg, 'image/jpeg');

    expect(loose(result.text)).toContain('orientation matters here');
  });

  test('when a TIFF has three pages, then every page is OCRed in order', async () => {
    const pages = await Promise.all(
      ['First page', 'Second page', 'Third page'].map((t) => textPng([t])),
    );
    const progress: ExtractionProgress[] = [];

    const result = await extract(await multiPageTiff(pages), 'image/tiff', (p) => progress.push(p));

    expect(result.pages.map((page) => page.page)).toEqual([1, 2, 3]);
    expectInOrder(result.text, ['first page', 'second page', 'third page']);
    expect(progress).toEqual([1, 2, 3].map((page) => ({ page, pages: 3 })));
  });

  test('when a BMP is given, then tesseract reads it directly', async () => {
    const bmp = await bmpOf(await textPng(['Bitmap files still arrive']));

    const result = await extract(bmp, 'image/bmp');

    expect(loose(result.text)).toContain('bitmap files still arrive');
  });

  test('when a page is blank, then extraction completes with no text', async () => {
    const result = await extract(await blankPng(), 'image/png');

    expect(result).toMatchObject({ pageCount: 1, text: '', wordCount: 0, confidence: 0 });
  });

  test('when a PNG decodes to 400 megapixels, then it is refused as too large', async () => {
    expect(await failureReason(extract(bombPng(), 'image/png'))).toBe('too_large');
  });

  test('when the bytes are not an image, then extraction fails as corrupt', async () => {
    expect(await failureReason(extract(Buffer.from('not a picture'), 'image/png'))).toBe('corrupt');
  });

  test('when OCR overruns its time limit, then extraction fails as timeout', async () => {
    const impatient = createTestExtractor({ engine, concurrency: 1, workerTimeoutMs: 1 });
    const png = await textPng(['Too slow']);

    const reason = await failureReason(
      impatient.extract({ bytes: png, mimeType: 'image/png', filename: 'slow.png' }),
    );
    await impatient.close();

    expect(reason).toBe('timeout');
  });
});
