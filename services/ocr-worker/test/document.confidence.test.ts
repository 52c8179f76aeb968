import { toResult, type ExtractedPage } from '../src/domain';

/** An OCRed page of `words` distinct words read at `confidence`. */
function ocrPage(page: number, words: number, confidence: number): ExtractedPage {
  const text = Array.from({ length: words }, (_, index) => `word${index}`).join(' ');
  return { page, text, confidence, method: 'ocr' };
}

describe("a document's mean confidence", () => {
  test('when a blank page precedes a text page, then the confidence is that of the text page', () => {
    const blank: ExtractedPage = { page: 1, text: '', confidence: 0, method: 'ocr' };

    const result = toResult([blank, ocrPage(2, 120, 88)]);

    expect(result.confidence).toBe(88);
  });

  test('when a page has 2 words and another 198, then each word weighs the same', () => {
    const result = toResult([ocrPage(1, 2, 40), ocrPage(2, 198, 90)]);

    // (2 x 40 + 198 x 90) / 200; the mean of the page means would be 65.
    expect(result.confidence).toBeCloseTo(89.5, 6);
    expect(result.wordCount).toBe(200);
  });

  test('when a page holds only punctuation, then it does not count', () => {
    const specks: ExtractedPage = { page: 1, text: '— . · ,', confidence: 12, method: 'ocr' };

    const result = toResult([specks, ocrPage(2, 40, 80)]);

    expect(result.confidence).toBe(80);
  });

  test('when a text-layer page joins a poor scan, then it weighs by its words at 100', () => {
    const layer: ExtractedPage = {
      page: 1,
      text: 'Born digital first page with seven words',
      confidence: 100,
      method: 'text-layer',
    };

    const result = toResult([layer, ocrPage(2, 3, 30)]);

    expect(result.confidence).toBeCloseTo((7 * 100 + 3 * 30) / 10, 6);
  });

  test('when no page has a word, then the confidence is 0', () => {
    const result = toResult([
      { page: 1, text: '', confidence: 95, method: 'ocr' },
      { page: 2, text: '...', confidence: 40, method: 'ocr' },
    ]);

    expect(result.confidence).toBe(0);
  });
});
