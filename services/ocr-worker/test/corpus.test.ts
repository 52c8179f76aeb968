import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ExtractionResult } from '../src/domain';
import {
  createTestExtractor,
  expectInOrder,
  failureReason,
  loose,
  repoRoot,
} from './support/extractor.factory';

// Third-party samples (mostly GPL, AGPL, CC-BY-SA): read from beside the repository, never
// copied in. jest.config.js leaves this suite out, saying so, where the folder is absent.
const corpusDir = path.resolve(repoRoot, '../shared/corpus');
const manifestPath = path.join(corpusDir, 'MANIFEST.tsv');

const MIME_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.webp': 'image/webp',
  '.txt': 'text/plain',
};

function readManifest(): Map<string, string> {
  const rows = readFileSync(manifestPath, 'utf8').trim().split('\n').slice(1);
  return new Map(
    rows.map((row) => row.split('\t')).map((cells) => [cells[0] ?? '', cells[7] ?? '']),
  );
}

describe('extraction of the shared corpus', () => {
  const extractor = createTestExtractor();
  const manifest = readManifest();

  afterAll(() => extractor.close());

  /** Reads a corpus file, refusing one whose bytes differ from the manifest. */
  function corpusFile(filename: string): Buffer {
    const bytes = readFileSync(path.join(corpusDir, filename));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.get(filename));
    return bytes;
  }

  function extract(filename: string, mimeType?: string): Promise<ExtractionResult> {
    const type = mimeType ?? MIME_TYPES[path.extname(filename).toLowerCase()] ?? '';
    return extractor.extract({ bytes: corpusFile(filename), mimeType: type, filename });
  }

  test('when a PDF has a text layer, then its text is read without OCR', async () => {
    const result = await extract('pngx__simple-digital.pdf');

    expect(result.text).toContain('This is a test document.');
    expect(result.pages.map((page) => page.method)).toEqual(['text-layer']);
  });

  test('when a PDF holds only scanned pages, then every page is OCRed in order', async () => {
    const result = await extract('pngx__multi-page-images.pdf');

    expect(result.pageCount).toBe(3);
    expectInOrder(result.text, ['page 1', 'page 2', 'page 3']);
  });

  test('when a text layer has soft hyphens, then it is kept as text, not OCRed', async () => {
    const result = await extract('pdfjs__issue13226.pdf');

    expect(result.pages.map((page) => page.method)).toEqual(['text-layer']);
    expect(result.text.replaceAll('\u00AD', '')).toContain('Mitarbeiterinnen und Mitarbeiter');
  });

  test('when a typeset manual has ligatures, then its text layer is kept', async () => {
    const result = await extract('pdfjs__issue10640.pdf');

    expect(result.pages.every((page) => page.method === 'text-layer')).toBe(true);
    expect(loose(result.text)).toContain('open sans is a humanist sans serif typeface');
  });

  test('when a PDF mixes scans and text, then only the scans are OCRed', async () => {
    const result = await extract('pngx__multi-page-mixed.pdf');

    expectInOrder(result.text, ['page 1', 'page 2', 'page 3', 'page 4', 'page 5', 'page 6']);
    expect(result.pages.map((page) => page.method)).toEqual([
      ...['ocr', 'ocr', 'ocr'],
      ...['text-layer', 'text-layer', 'text-layer'],
    ]);
  });

  test('when a tagged PDF has only a form feed as text, then it is OCRed', async () => {
    const result = await extract('pngx__tagged-but-no-text.pdf');

    expect(result.pages[0]?.method).toBe('ocr');
    expect(result.wordCount).toBeGreaterThan(0);
  });

  test('when a PDF page has /Rotate 90, then OCR reads it upright', async () => {
    const result = await extract('ocrmypdf__rotated_skew.pdf');

    // Both lines of the heading (MANIFEST.tsv), the second one in large type.
    expectInOrder(result.text, ['the linnsequencer', '32 track midi sequence recorder']);
  });

  test('when a TIFF has three pages with alpha, then all three are OCRed', async () => {
    const result = await extract('pngx__multi-page-images-alpha-rgb.tiff');

    expect(result.pageCount).toBe(3);
    expectInOrder(result.text, ['page 1', 'page 2', 'page 3']);
  });

  test('when a WebP is given, then its text is read', async () => {
    const result = await extract('pngx__document.webp');

    expect(loose(result.text)).toMatch(/this is a ?webp document, created 11\/14\/2022\./u);
  });

  test('when a 1-bit TIFF is given, then the phototest text is read', async () => {
    const result = await extract('tess__phototest.tif');

    expectInOrder(result.text, ['this is a lot of 12 point text', 'the quick brown dog jumped']);
    expect(result.confidence).toBeGreaterThan(70);
  });

  test('when phototest is turned left in its pixels, then OSD turns it and it reads', async () => {
    const result = await extract('tess__phototest-rotated-L.png');

    expectInOrder(result.text, [
      'this is a lot of 12 point text to test the',
      'ocr code and see if it works on all types',
      'the quick brown dog jumped over the',
    ]);
    expect(result.pages[0]?.rotation).toBe(90);
  });

  test('when a JPEG carries EXIF orientation 6, then it is turned upright first', async () => {
    const result = await extract('tjs__simple-90.jpg');

    expect(loose(result.text)).toContain('tesseract.js');
  });

  test('when the filename is not ASCII, then the PNG is read as usual', async () => {
    const result = await extract('mayan__I18N_title_áéíóúüñÑ.png');

    expect(loose(result.text)).toContain('mayan edms documentation');
  });

  test('when a text file is Latin-1, then invalid bytes become U+FFFD', async () => {
    const result = await extract('pngx__decode_error.txt');

    expect(result.text).toBe('Pantothens\uFFFDure\n');
  });

  test('when a .pdf file is really text/plain, then its sentence is returned', async () => {
    const result = await extract('readur__fake_pdf.pdf', 'text/plain');

    expect(result.text).toContain('This is not a PDF file at all');
  });

  test('when text bytes are labelled as a PDF, then extraction fails as corrupt', async () => {
    expect(await failureReason(extract('readur__fake_pdf.pdf'))).toBe('corrupt');
  });

  test('when a PDF has junk before its header, then the junk is skipped', async () => {
    const result = await extract('pngx__invalid_pdf.pdf');

    expect(result.text).toContain('Google LLC');
  });

  test('when a PDF page is blank, then extraction completes with no text', async () => {
    const result = await extract('pdfjs__empty#hash.pdf');

    expect(result.pageCount).toBe(1);
    expect(result.text).toBe('');
  });

  test.each(['pngx__encrypted.pdf', 'pngx__password-is-test.pdf'])(
    'when %s is encrypted, then extraction fails as encrypted',
    async (filename) => {
      expect(await failureReason(extract(filename))).toBe('encrypted');
    },
  );

  test('when the password is among OCR_PDF_PASSWORDS, then the encrypted PDF is read', async () => {
    const unlocking = createTestExtractor({ pdfPasswords: ['not-it', 'test'] });
    const filename = 'pngx__password-is-test.pdf';

    const result = await unlocking
      .extract({ bytes: corpusFile(filename), mimeType: 'application/pdf', filename })
      .finally(() => unlocking.close());

    expect(result.text).toContain('Password Protected PDF test.');
  });

  test.each(['ocrmypdf__invalid.pdf', 'pdfjs__bug1020226.pdf'])(
    'when %s is structurally broken, then extraction fails as corrupt',
    async (filename) => {
      expect(await failureReason(extract(filename))).toBe('corrupt');
    },
  );

  test('when a PNG decodes to 400 megapixels, then it is refused as too large', async () => {
    expect(await failureReason(extract('docspell__20K-gray.png'))).toBe('too_large');
  });
});
