import type { ExtractedPage } from './extraction.types';
import type { TextRecognizer } from './recognizer.types';
import { recognizeUpright } from './orientation.corrector';
import { normaliseText } from './text.normaliser';

/** What a format-specific extractor needs from the Extractor. */
export interface PageContext {
  ocr: TextRecognizer;
  concurrency: number;
  /** Keep each OCRed page as a searchable PDF (`ExtractedPage.pdf`) for the archive. */
  archive: boolean;
  maxImagePixels: number;
  pdfPasswords: readonly string[];
  /** The languages to OCR this document in, e.g. `eng+deu`. */
  languages: string;
  /** Limit for one page's PDF work (parse, text, render) and for its OCR. */
  timeoutMs: number;
  /** Called once per finished page. */
  onPageDone: (pages: number) => void;
}

/**
 * Runs `extractPage` for pages 1..count with at most `concurrency` pages in flight, so
 * rendering the next page overlaps OCR of the previous one without holding every rendered
 * page in memory. Results keep page order whatever order they finish in.
 */
export async function mapPages(
  count: number,
  context: PageContext,
  extractPage: (page: number) => Promise<ExtractedPage>,
): Promise<ExtractedPage[]> {
  const results: ExtractedPage[] = new Array<ExtractedPage>(count);
  let next = 1;

  const lane = async (): Promise<void> => {
    while (next <= count) {
      const page = next++;
      results[page - 1] = await extractPage(page);
      context.onPageDone(count);
    }
  };

  await Promise.all(Array.from({ length: Math.min(context.concurrency, count) }, lane));
  return results;
}

/** OCRs one prepared image into a page, turned upright first when its pixels lie on a side. */
export async function ocrPage(
  context: PageContext,
  page: number,
  image: Buffer,
): Promise<ExtractedPage> {
  const { text, confidence, rotation, pdf } = await recognizeUpright(
    context.ocr,
    image,
    context.languages,
    { pdf: context.archive },
  );
  const extracted: ExtractedPage = {
    page,
    text: normaliseText(text).trim(),
    confidence,
    method: 'ocr',
    rotation,
  };
  return pdf ? { ...extracted, pdf } : extracted;
}
