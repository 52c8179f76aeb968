import { Extractor } from '../src/domain';
import { createTestExtractor, failureReason } from './support/extractor.factory';

describe('extraction of plain text', () => {
  const extractor = createTestExtractor();

  afterAll(() => extractor.close());

  function extractText(bytes: Buffer, mimeType = 'text/plain'): Promise<string> {
    return extractor.extract({ bytes, mimeType, filename: 'note.txt' }).then((r) => r.text);
  }

  test.each([
    ['UTF-8 with a BOM', Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('Grüße')])],
    ['UTF-8 without a BOM', Buffer.from('Grüße')],
    [
      'UTF-16LE with a BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße', 'utf16le')]),
    ],
    [
      'UTF-16BE with a BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('Grüße', 'utf16le').swap16()]),
    ],
  ])('when the file is %s, then the text is decoded without the BOM', async (_, bytes) => {
    expect(await extractText(bytes)).toBe('Grüße');
  });

  test('when the file is Latin-1, then invalid bytes become U+FFFD', async () => {
    expect(await extractText(Buffer.from('Säure\n', 'latin1'))).toBe('S\uFFFDure\n');
  });

  test('when the text holds NUL and decomposed accents, then NUL goes and accents compose', async () => {
    const text = await extractText(Buffer.from('cafe\u0301\u0000 bar'));

    expect(text).toBe('caf\u00e9 bar');
  });

  test('when the mime type has a charset parameter, then it is still read as text', async () => {
    const result = await extractor.extract({
      bytes: Buffer.from('two words'),
      mimeType: 'Text/Plain; charset=utf-8',
      filename: 'note.txt',
    });

    expect(result).toMatchObject({ pageCount: 1, wordCount: 2, confidence: 100 });
    expect(result.pages[0]?.method).toBe('plain-text');
  });

  test('when the mime type is not supported, then extraction fails as unsupported', async () => {
    const work = extractText(Buffer.from('PK\u0003\u0004'), 'application/zip');

    expect(await failureReason(work)).toBe('unsupported_format');
  });

  test('when a language is not installed, then the Extractor refuses to start', () => {
    const create = () =>
      new Extractor({
        languages: 'eng+xyz',
        concurrency: 1,
        maxImagePixels: 1e6,
        workerTimeoutMs: 1e3,
      });

    expect(create).toThrow(/@tesseract.js-data\/xyz/u);
  });
});
