import type { ExtractedPage } from './extraction.types';
import { openPdf, readPdf, type PdfDocument } from './pdf.loader';
import { renderPage } from './pdf.renderer';
import { mapPages, ocrPage, type PageContext } from './page.pipeline';
import { isBlank, normaliseText } from './text.normaliser';

/** The page's text layer, one line per pdfjs end-of-line mark. */
async function readTextLayer(page: Awaited<ReturnType<PdfDocument['getPage']>>): Promise<string> {
  const content = await page.getTextContent();

  return content.items
    .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
    .join('');
}

/**
 * A page with real text keeps its text layer; a page whose text layer is empty or only
 * whitespace and form feeds (scans, "tagged" PDFs without text) is rendered and OCRed.
 */
async function extractPage(
  document: PdfDocument,
  pageNumber: number,
  context: PageContext,
): Promise<ExtractedPage> {
  const page = await readPdf(() => document.getPage(pageNumber));
  try {
    const text = await readPdf(() => readTextLayer(page));
    if (!isBlank(text)) {
      const cleaned = normaliseText(text).trim();
      return { page: pageNumber, text: cleaned, confidence: 100, method: 'text-layer' };
    }

    const image = await readPdf(() => renderPage(document, page, context.maxImagePixels));
    return await ocrPage(context, pageNumber, image);
  } finally {
    page.cleanup();
  }
}

/** Extracts every page of a PDF in page order. */
export async function extractPdfPages(
  bytes: Buffer,
  context: PageContext,
): Promise<ExtractedPage[]> {
  const document = await openPdf(bytes, context.pdfPasswords);
  try {
    return await mapPages(document.numPages, context, (page) =>
      extractPage(document, page, context),
    );
  } finally {
    await document.destroy();
  }
}
