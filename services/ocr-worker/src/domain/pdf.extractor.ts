import type { ExtractedPage } from './extraction.types';
import { assertImagesWithin } from './pdf.inspector';
import { openPdf, readPdf, type PdfDocument } from './pdf.loader';
import { renderPage } from './pdf.renderer';
import { mapPages, ocrPage, type PageContext } from './page.pipeline';
import { isBlank, normaliseText } from './text.normaliser';
import { judgeTextLayer } from './text.quality';

/** The page's text layer, one line per pdfjs end-of-line mark. */
async function readTextLayer(page: Awaited<ReturnType<PdfDocument['getPage']>>): Promise<string> {
  const content = await page.getTextContent();

  return content.items
    .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
    .join('');
}

/**
 * A page with real text keeps its text layer. A page whose text layer is empty or only
 * whitespace and form feeds (scans, "tagged" PDFs without text) is rendered and OCRed, and so
 * is one whose text layer is garbage (a font without a Unicode map); if OCR then finds
 * nothing either, the garbage is kept rather than losing the page's only text.
 */
export async function extractPdfPage(
  document: PdfDocument,
  pageNumber: number,
  context: PageContext,
): Promise<ExtractedPage> {
  const page = await readPdf(() => document.getPage(pageNumber), context.timeoutMs);
  try {
    const text = await readPdf(() => readTextLayer(page), context.timeoutMs);
    const layer = normaliseText(text).trim();
    const textLayer: ExtractedPage = {
      page: pageNumber,
      text: layer,
      confidence: 100,
      method: 'text-layer',
    };
    if (!isBlank(text) && !judgeTextLayer(layer).poor) return textLayer;

    const image = await readPdf(
      () => renderPage(document, page, context.maxImagePixels),
      context.timeoutMs,
    );
    const ocred = await ocrPage(context, pageNumber, image);
    return ocred.text.length === 0 && layer.length > 0 ? textLayer : ocred;
  } finally {
    page.cleanup();
  }
}

/**
 * A PDF's pages, read cheaply: a good text layer is kept as the page's text, `undefined`
 * marks a page that needs rendering and OCR. Lets a caller hand out only those pages.
 */
export async function readTextLayers(
  document: PdfDocument,
  context: PageContext,
): Promise<(ExtractedPage | undefined)[]> {
  const pages: (ExtractedPage | undefined)[] = [];
  for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
    const page = await readPdf(() => document.getPage(pageNumber), context.timeoutMs);
    try {
      const text = await readPdf(() => readTextLayer(page), context.timeoutMs);
      const layer = normaliseText(text).trim();
      const good = !isBlank(text) && !judgeTextLayer(layer).poor;
      pages.push(
        good ? { page: pageNumber, text: layer, confidence: 100, method: 'text-layer' } : undefined,
      );
    } finally {
      page.cleanup();
    }
  }
  return pages;
}

/** Opens a PDF within the pixel limit, runs `work` on it and closes it. */
export async function withPdf<T>(
  bytes: Buffer,
  context: Pick<PageContext, 'maxImagePixels' | 'pdfPasswords'>,
  work: (document: PdfDocument) => Promise<T>,
): Promise<T> {
  assertImagesWithin(bytes, context.maxImagePixels);
  const document = await openPdf(bytes, context.pdfPasswords, context.maxImagePixels);
  try {
    return await work(document);
  } finally {
    await document.destroy();
  }
}

/** Extracts every page of a PDF in page order. */
export async function extractPdfPages(
  bytes: Buffer,
  context: PageContext,
): Promise<ExtractedPage[]> {
  assertImagesWithin(bytes, context.maxImagePixels);
  const document = await openPdf(bytes, context.pdfPasswords, context.maxImagePixels);
  try {
    return await mapPages(document.numPages, context, (page) =>
      extractPdfPage(document, page, context),
    );
  } finally {
    await document.destroy();
  }
}
