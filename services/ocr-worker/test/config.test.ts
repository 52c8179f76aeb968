import { ConfigError } from '@readur/config';

import { loadOcrWorkerConfig } from '../src/config';

const base = { INTERNAL_API_TOKEN: 'a-long-internal-token-for-tests' };

describe('ocr-worker configuration', () => {
  test('when OCR_PDF_PASSWORDS is unset, then no password is tried', () => {
    expect(loadOcrWorkerConfig(base).OCR_PDF_PASSWORDS).toEqual([]);
  });

  test('when OCR_PDF_PASSWORDS is a comma list, then each entry is a password', () => {
    const config = loadOcrWorkerConfig({ ...base, OCR_PDF_PASSWORDS: 'test,bank 2024' });

    expect(config.OCR_PDF_PASSWORDS).toEqual(['test', 'bank 2024']);
  });

  test('when OCR_PDF_PASSWORDS is a JSON array, then passwords may hold commas', () => {
    const config = loadOcrWorkerConfig({ ...base, OCR_PDF_PASSWORDS: '["a,b", "c"]' });

    expect(config.OCR_PDF_PASSWORDS).toEqual(['a,b', 'c']);
  });

  test('when OCR_PDF_PASSWORDS is a broken JSON array, then start-up names the variable', () => {
    expect(() => loadOcrWorkerConfig({ ...base, OCR_PDF_PASSWORDS: '["a",' })).toThrow(ConfigError);
    expect(() => loadOcrWorkerConfig({ ...base, OCR_PDF_PASSWORDS: '["a",' })).toThrow(
      /OCR_PDF_PASSWORDS/u,
    );
  });
});
