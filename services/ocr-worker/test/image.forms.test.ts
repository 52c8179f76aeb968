import { readFileSync } from 'node:fs';
import path from 'node:path';

import sharp from 'sharp';

import { ENGINES } from './support/engine.factory';
import { createTestExtractor, failureReason, loose } from './support/extractor.factory';
import { giantImagePdf, textPng } from './support/fixture.factory';

const LINES = ['Delivery note number 20417', 'Signed by the warehouse'];

describe.each(ENGINES)('extraction of unusual image forms (%s)', (engine) => {
  const extractor = createTestExtractor({ engine, maxImagePixels: 100_000_000 });
  let upright: Buffer;

  beforeAll(async () => {
    upright = await textPng(LINES);
  });

  afterAll(() => extractor.close());

  function extract(bytes: Buffer, mimeType: string) {
    return extractor.extract({ bytes, mimeType, filename: 'scan' });
  }

  test('when a JPEG is CMYK without an ICC profile, then it is converted and read', async () => {
    const cmyk = await sharp(upright).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');

    const result = await extract(cmyk, 'image/jpeg');

    expect(loose(result.text)).toContain('delivery note number 20417');
  });

  test('when a PNG has 16 bits per sample, then it is read', async () => {
    const deep = await sharp(upright).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');

    const result = await extract(deep, 'image/png');

    expect(loose(result.text)).toContain('delivery note number 20417');
  });

  test('when the image is a GIF, then it is read', async () => {
    const gif = await sharp(upright).gif().toBuffer();

    const result = await extract(gif, 'image/gif');

    expect(loose(result.text)).toContain('signed by the warehouse');
  });

  test('when the image is an HEIC phone photo, then libheif decodes it and it is read', async () => {
    // Made for this suite with libheif's heif-enc from a sharp-rendered PNG (MIT, ours).
    const heic = readFileSync(path.join(__dirname, 'fixtures/phone-photo.heic'));

    const result = await extract(heic, 'image/heic');

    expect(loose(result.text)).toContain('photo taken with a phone camera');
  });

  test('when a scan is large but under the limit, then it is scaled down and read', async () => {
    const large = await sharp(upright)
      .resize({ width: 6400 })
      .extend({ bottom: 5000, background: '#ffffff' })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const { width, height } = await sharp(large).metadata();
    expect(width * height).toBeGreaterThan(30_000_000);

    const result = await extract(large, 'image/png');

    expect(loose(result.text)).toContain('delivery note number 20417');
  });

  test('when a PDF holds a 35000x35000 image, then it is refused as too large', async () => {
    const pdf = await giantImagePdf(35_000);

    expect(await failureReason(extract(pdf, 'application/pdf'))).toBe('too_large');
  });
});
