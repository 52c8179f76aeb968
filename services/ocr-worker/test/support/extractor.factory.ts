import path from 'node:path';

import { Extractor, ExtractionError, type ExtractorOptions } from '../../src/domain';

/** The repository root, wherever CI cloned it. */
export const repoRoot = path.resolve(__dirname, '../../../..');

/** An Extractor sized for the 2-core test machine; callers close it in afterAll. */
export function createTestExtractor(overrides: Partial<ExtractorOptions> = {}): Extractor {
  return new Extractor({
    languages: 'eng',
    concurrency: 2,
    maxImagePixels: 100_000_000,
    workerTimeoutMs: 60_000,
    ...overrides,
  });
}

/** Lower-cases and collapses whitespace, so OCR line breaks do not fail a match. */
export function loose(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Asserts that every phrase occurs in `text`, in the given order. */
export function expectInOrder(text: string, phrases: string[]): void {
  let from = 0;
  for (const phrase of phrases) {
    const at = loose(text).indexOf(phrase, from);
    expect({ phrase, found: at >= 0 }).toEqual({ phrase, found: true });
    from = at + phrase.length;
  }
}

/** Resolves to the failure reason, or fails the test when extraction succeeds. */
export async function failureReason(work: Promise<unknown>): Promise<string> {
  const error: unknown = await work.then(
    () => new Error('extraction succeeded'),
    (failure: unknown) => failure,
  );
  if (!(error instanceof ExtractionError)) throw error;
  return error.reason;
}
