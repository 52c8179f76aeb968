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
import { extractPdfPages } from './pdf.extractor';
import { decodeText } from './text.decoder';
import { countWords, normaliseText } from './text.normaliser';

const PDF_MIME_TYPES = new Set(['application/pdf', 'application/x-pdf']);

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
 * Exact text (text layer, plain text) counts as 100, so a mostly born-digital document
 * scores high even if one scanned page is poor. Pages without any text are left out: a blank
 * page is not evidence of bad OCR. A document with no text at all scores 0.
 */
function documentConfidence(pages: ExtractedPage[]): number {
  const withText = pages.filter((page) => page.text.length > 0);
  if (withText.length === 0) return 0;

  return withText.reduce((sum, page) => sum + page.confidence, 0) / withText.length;
}

function toResult(pages: ExtractedPage[]): ExtractionResult {
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
  private readonly ocr: OcrEngine;

  /** Throws at once when a language is not installed or a setting is invalid. */
  constructor(private readonly options: ExtractorOptions) {
    if (!(options.maxImagePixels > 0) || !(options.workerTimeoutMs > 0)) {
      throw new Error('maxImagePixels and workerTimeoutMs must be positive');
    }

    this.ocr = new OcrEngine({
      languages: options.languages,
      langPath: options.langPath,
      concurrency: options.concurrency,
      timeoutMs: options.workerTimeoutMs,
    });
  }

  /** Extracts the text of one document, pages in document order. */
  async extract(input: ExtractionInput, options: ExtractOptions = {}): Promise<ExtractionResult> {
    const context = this.pageContext(
      options.onProgress ?? this.options.onProgress,
      this.languagesFor(options.languages),
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

  private pageContext(onProgress: ProgressListener | undefined, languages: string): PageContext {
    let done = 0;

    return {
      ocr: this.ocr,
      concurrency: this.options.concurrency,
      maxImagePixels: this.options.maxImagePixels,
      pdfPasswords: this.options.pdfPasswords ?? [],
      languages,
      timeoutMs: this.options.workerTimeoutMs,
      onPageDone: (pages) => onProgress?.({ page: ++done, pages }),
    };
  }
}
