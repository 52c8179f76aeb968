import { ExtractionError } from './extraction.errors';
import type {
  ExtractedPage,
  ExtractionInput,
  ExtractionResult,
  ExtractOptions,
  ExtractorOptions,
  ProgressListener,
} from './extraction.types';
import { extractImagePages, isImageMimeType } from './image.extractor';
import { checkLanguages } from './language.loader';
import { OcrEngine } from './ocr.engine';
import type { PageContext } from './page.pipeline';
import { extractPdfPage, extractPdfPages, readTextLayers, withPdf } from './pdf.extractor';
import type { TextRecognizer } from './recognizer.types';
import { TesseractCliEngine } from './tesseract-cli.engine';
import { imageThumbnail, pdfThumbnail } from './thumbnail.maker';
import { decodeText } from './text.decoder';
import { countWords, normaliseText } from './text.normaliser';

const PDF_MIME_TYPES = new Set(['application/pdf', 'application/x-pdf']);

/** True for the mime types read as PDF. */
export function isPdfMimeType(mimeType: string): boolean {
  return PDF_MIME_TYPES.has(baseMimeType(mimeType));
}

/**
 * How to process a document: `whole` in this process, or `split` into pages where the text
 * layer pages are already read and `ocrPages` still need OCR, each on its own.
 */
export type ExtractionPlan =
  | { kind: 'whole' }
  | { kind: 'split'; pageCount: number; textPages: ExtractedPage[]; ocrPages: number[] };

/** Fewer pages needing OCR than this are done in one piece: a split would only add latency. */
const MIN_PAGES_TO_SPLIT = 2;

/** `Text/Plain; charset=x` -> `text/plain`: the charset is not trusted, the BOM is. */
function baseMimeType(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

function extractPlainText(bytes: Buffer, context: PageContext): ExtractedPage[] {
  const text = normaliseText(decodeText(bytes));
  context.onPageDone(1);
  return [{ page: 1, text, confidence: 100, method: 'plain-text' }];
}

/**
 * The document's mean word confidence: each page's mean weighs by its word count, so a page of
 * three words counts a hundredth of a page of three hundred, and a page without words (blank,
 * or only punctuation) not at all. Exact text (text layer, plain text) counts as 100, so a
 * mostly born-digital document scores high even if one scanned page is poor. A document
 * without any words scores 0.
 */
function documentConfidence(pages: ExtractedPage[]): number {
  const weighed = pages.map((page) => ({
    confidence: page.confidence,
    words: countWords(page.text),
  }));
  const words = weighed.reduce((sum, page) => sum + page.words, 0);
  if (words === 0) return 0;

  return weighed.reduce((sum, page) => sum + page.confidence * page.words, 0) / words;
}

/** Joins finished pages (in page order) into a document's result. */
export function toResult(pages: ExtractedPage[]): ExtractionResult {
  const text = pages
    .map((page) => page.text)
    .filter((pageText) => pageText.length > 0)
    .join('\n\n');

  return {
    pages,
    pageCount: pages.length,
    text,
    confidence: documentConfidence(pages),
    wordCount: countWords(text),
  };
}

/**
 * Turns a document's bytes into per-page text: PDF text layers where they exist, OCR for
 * scanned pages and images, decoding for plain text. Expected failures reject with an
 * ExtractionError carrying a reason; anything else is a bug. Share one instance per process:
 * it owns a pool of `concurrency` OCR workers.
 */
export class Extractor {
  private readonly ocr: TextRecognizer;

  /** Throws at once when a language is not installed or a setting is invalid. */
  constructor(private readonly options: ExtractorOptions) {
    if (!(options.maxImagePixels > 0) || !(options.workerTimeoutMs > 0)) {
      throw new Error('maxImagePixels and workerTimeoutMs must be positive');
    }

    const engine = {
      languages: options.languages,
      langPath: options.langPath,
      concurrency: options.concurrency,
      timeoutMs: options.workerTimeoutMs,
    };
    this.ocr =
      options.engine === 'tesseract-cli' ? new TesseractCliEngine(engine) : new OcrEngine(engine);
  }

  /** The OCR engine pool (for tests and metrics). */
  get engine(): TextRecognizer {
    return this.ocr;
  }

  /**
   * Decides whether a document is split into page jobs: a PDF with at least two pages that
   * need OCR is; its good text layers are read here, once. Everything else is `whole`.
   * Expected failures (encrypted, corrupt, too large) reject like `extract` does.
   */
  async plan(input: ExtractionInput): Promise<ExtractionPlan> {
    if (!isPdfMimeType(input.mimeType)) return { kind: 'whole' };

    const context = this.pageContext(undefined, this.ocr.languages);
    const layers = await withPdf(input.bytes, context, (document) =>
      readTextLayers(document, context),
    );
    const ocrPages = layers.flatMap((page, index) => (page ? [] : [index + 1]));
    if (ocrPages.length < MIN_PAGES_TO_SPLIT) return { kind: 'whole' };

    const textPages = layers.filter((page): page is ExtractedPage => page !== undefined);
    return { kind: 'split', pageCount: layers.length, textPages, ocrPages };
  }

  /** Extracts one page of a PDF (a page job of a split document). */
  async extractPage(
    input: ExtractionInput,
    page: number,
    options: ExtractOptions = {},
  ): Promise<ExtractedPage> {
    const context = this.pageContext(undefined, this.languagesFor(options.languages), options);
    return withPdf(input.bytes, context, async (document) => {
      if (page > document.numPages) {
        throw new ExtractionError('corrupt', `PDF has no page ${page}`);
      }
      return extractPdfPage(document, page, context);
    });
  }

  /**
   * A 400-pixel-wide WebP of the first page, upright; `undefined` for types without a picture
   * and for files that cannot be decoded (encrypted, corrupt): a thumbnail never fails a job.
   */
  async thumbnail(input: ExtractionInput, rotation: 0 | 90 | 180 | 270 = 0) {
    const mimeType = baseMimeType(input.mimeType);
    const context = this.pageContext(undefined, this.ocr.languages);
    try {
      if (PDF_MIME_TYPES.has(mimeType)) {
        return await withPdf(input.bytes, context, (document) => pdfThumbnail(document, rotation));
      }
      if (isImageMimeType(mimeType)) {
        return await imageThumbnail(input.bytes, this.options.maxImagePixels, rotation);
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  /** Extracts the text of one document, pages in document order. */
  async extract(input: ExtractionInput, options: ExtractOptions = {}): Promise<ExtractionResult> {
    const context = this.pageContext(
      options.onProgress ?? this.options.onProgress,
      this.languagesFor(options.languages),
      options,
    );
    const mimeType = baseMimeType(input.mimeType);

    if (PDF_MIME_TYPES.has(mimeType)) return toResult(await extractPdfPages(input.bytes, context));
    if (isImageMimeType(mimeType)) {
      return toResult(await extractImagePages(input.bytes, mimeType, context));
    }
    if (mimeType.startsWith('text/')) return toResult(extractPlainText(input.bytes, context));

    throw new ExtractionError('unsupported_format', `Cannot extract text from '${mimeType}'`);
  }

  /** Stops the OCR workers; extract() fails afterwards. */
  close(): Promise<void> {
    return this.ocr.close();
  }

  /** The default OCR languages, normalised (`eng+deu`). */
  get defaultLanguages(): string {
    return this.ocr.languages;
  }

  /** Every language this worker can OCR in, sorted. */
  get availableLanguages(): string[] {
    return this.ocr.availableLanguages;
  }

  /** A document's languages, refused as `unsupported_language` unless all are installed. */
  private languagesFor(requested: string | undefined): string {
    if (requested === undefined || requested.trim() === '') return this.ocr.languages;
    try {
      return checkLanguages(requested, this.ocr.availableLanguages);
    } catch (error) {
      throw new ExtractionError('unsupported_language', (error as Error).message, { cause: error });
    }
  }

  private pageContext(
    onProgress: ProgressListener | undefined,
    languages: string,
    options: ExtractOptions = {},
  ): PageContext {
    let done = 0;

    return {
      ocr: this.ocr,
      archive: options.archive === true,
      concurrency: this.options.concurrency,
      maxImagePixels: this.options.maxImagePixels,
      pdfPasswords: this.options.pdfPasswords ?? [],
      languages,
      timeoutMs: this.options.workerTimeoutMs,
      onPageDone: (pages) => onProgress?.({ page: ++done, pages }),
    };
  }
}
