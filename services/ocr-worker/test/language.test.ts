import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ENGINES } from './support/engine.factory';
import { createTestExtractor, failureReason, loose } from './support/extractor.factory';
import { textPng } from './support/fixture.factory';

// Debian's tesseract-ocr-eng package; CI installs tesseract-ocr (scripts/ensure-services.sh).
const DEBIAN_TESSDATA = '/usr/share/tesseract-ocr/5/tessdata';

describe('OCR languages', () => {
  const extractor = createTestExtractor({ languages: 'eng', concurrency: 1 });

  afterAll(() => extractor.close());

  const png = (bytes: Buffer) => ({ bytes, mimeType: 'image/png', filename: 'scan.png' });

  test('when the worker starts, then deu, eng and fra from npm are available', () => {
    expect(extractor.availableLanguages).toEqual(expect.arrayContaining(['deu', 'eng', 'fra']));
    expect(extractor.availableLanguages).not.toContain('osd');
    expect(extractor.defaultLanguages).toBe('eng');
  });

  test('when a document asks for deu, then German umlauts and ß are read', async () => {
    const image = await textPng(['Größere Bäume für Müller', 'Straße über die Brücke']);

    const german = await extractor.extract(png(image), { languages: 'deu' });

    expect(german.text).toContain('Größere Bäume für Müller');
    expect(german.text).toContain('Straße über die Brücke');
  });

  test('when a document asks for fra after deu, then the same engine switches to French', async () => {
    const image = await textPng(['Le garçon a reçu une lettre', 'Où est la forêt ?']);

    const french = await extractor.extract(png(image), { languages: 'fra+eng' });

    expect(french.text).toContain('garçon a reçu une lettre');
    expect(loose(french.text)).toContain('forêt');
  });

  test('when a document asks for a language that is not installed, then it fails as unsupported_language', async () => {
    const image = await textPng(['anything']);

    expect(await failureReason(extractor.extract(png(image), { languages: 'klingon' }))).toBe(
      'unsupported_language',
    );
  });

  test('when the default language is not installed, then the extractor refuses to start', () => {
    expect(() => createTestExtractor({ languages: 'eng+xyz' })).toThrow(
      /'xyz' is not installed \(available: .*eng/u,
    );
  });

  test.each(ENGINES)(
    'when OCR_LANG_PATH holds a model under a code npm does not ship, then %s announces and reads it',
    async (engine) => {
      // Debian's English model under a made-up code: only the folder can make `xyz` known.
      const folder = mkdtempSync(path.join(tmpdir(), 'readur-langpath-'));
      copyFileSync(
        path.join(DEBIAN_TESSDATA, 'eng.traineddata'),
        path.join(folder, 'xyz.traineddata'),
      );
      const custom = createTestExtractor({ engine, langPath: folder, concurrency: 1 });
      try {
        expect(custom.availableLanguages).toEqual(expect.arrayContaining(['deu', 'eng', 'xyz']));

        const image = await textPng(['Read with a model from the folder']);
        const result = await custom.extract(png(image), { languages: 'xyz' });

        expect(loose(result.text)).toContain('read with a model from the folder');
      } finally {
        await custom.close();
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  test('when OCR_LANG_PATH is not set, then that code is neither announced nor accepted', async () => {
    const image = await textPng(['Read with a model from the folder']);

    expect(extractor.availableLanguages).not.toContain('xyz');
    expect(await failureReason(extractor.extract(png(image), { languages: 'xyz' }))).toBe(
      'unsupported_language',
    );
  });
});
