import { createEngine, ENGINES } from './support/engine.factory';
import { failureReason, loose } from './support/extractor.factory';
import { textPng } from './support/fixture.factory';

/**
 * A dense page: 240 lines of 12-point text at 300 dpi keep tesseract busy for many seconds,
 * far past the limit, while a two-word page stays far under it even on a loaded machine.
 */
function densePage(): Promise<Buffer> {
  const line = 'The quick brown fox jumps over the lazy dog while 1234 clerks count';
  return textPng(
    Array.from({ length: 240 }, (_, index) => `${index + 1} ${line}`),
    36,
  );
}

describe.each(ENGINES)('OCR engine timeouts (%s)', (kind) => {
  const engine = createEngine(kind, { timeoutMs: 4_000 });

  afterAll(() => engine.close());

  test('when a page overruns the limit, then it fails as timeout and the engine is replaced', async () => {
    const dense = await densePage();
    // Start the engine first, so the limit measures recognition and not model loading.
    await engine.recognize(await textPng(['warm up']));

    expect(await failureReason(engine.recognize(dense))).toBe('timeout');
    expect(engine.replacedEngines).toBe(1);

    const next = await engine.recognize(await textPng(['Still working']));
    expect(loose(next.text)).toContain('still working');
  });
});
