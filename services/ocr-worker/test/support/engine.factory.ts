import type { OcrEngineKind } from '../../src/domain';
import { OcrEngine } from '../../src/domain/ocr.engine';
import type { TextRecognizer } from '../../src/domain/recognizer.types';
import { TesseractCliEngine } from '../../src/domain/tesseract-cli.engine';

/** Every engine behind `TextRecognizer`; engine tests run once for each. */
export const ENGINES: OcrEngineKind[] = ['tesseract-js', 'tesseract-cli'];

/** An engine of `kind`; callers close it in afterAll. */
export function createEngine(
  kind: OcrEngineKind,
  options: { languages?: string; concurrency?: number; timeoutMs?: number } = {},
): TextRecognizer {
  const settings = {
    languages: options.languages ?? 'eng',
    concurrency: options.concurrency ?? 1,
    timeoutMs: options.timeoutMs ?? 60_000,
  };
  return kind === 'tesseract-cli' ? new TesseractCliEngine(settings) : new OcrEngine(settings);
}
