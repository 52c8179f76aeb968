import { ENGINES } from './support/engine.factory';
import { createTestExtractor, loose } from './support/extractor.factory';
import { exifOrientedJpeg, textPng, turnedPng } from './support/fixture.factory';

const LINES = ['Orientation check for invoice 4711', 'The quick brown fox jumps over'];

describe.each(ENGINES)('orientation of scanned pages (%s)', (engine) => {
  const extractor = createTestExtractor({ engine });
  let upright: Buffer;

  beforeAll(async () => {
    upright = await textPng(LINES);
  });

  afterAll(() => extractor.close());

  function extract(bytes: Buffer, mimeType: string) {
    return extractor.extract({ bytes, mimeType, filename: 'scan' });
  }

  test.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'when a JPEG carries EXIF orientation %i, then it is displayed upright before OCR',
    async (orientation) => {
      const jpeg = await exifOrientedJpeg(upright, orientation);

      const result = await extract(jpeg, 'image/jpeg');

      expect(loose(result.text)).toContain('orientation check for invoice 4711');
      expect(result.pages[0]?.rotation).toBe(0);
    },
  );

  test.each([90, 180, 270])(
    'when the pixels are turned %i degrees without EXIF, then OSD turns the page back',
    async (degrees) => {
      const turned = await turnedPng(upright, degrees);

      const result = await extract(turned, 'image/png');

      expect(loose(result.text)).toContain('orientation check for invoice 4711');
      // The native binary's layout analysis reads a page turned by 270 degrees as it is (it
      // turns the text block internally and says nothing of it), so no rotation is reported.
      const expected = engine === 'tesseract-cli' && degrees === 270 ? 0 : (360 - degrees) % 360;
      expect(result.pages[0]?.rotation).toBe(expected);
    },
  );

  test('when a page is skewed by three degrees, then it still reads', async () => {
    const skewed = await turnedPng(upright, 3);

    const result = await extract(skewed, 'image/png');

    expect(loose(result.text)).toContain('quick brown fox jumps over');
  });
});
