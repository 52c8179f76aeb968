/** A document as stored: its bytes plus what the uploader told us about them. */
export interface ExtractionInput {
  bytes: Buffer;
  mimeType: string;
  filename: string;
}

/** How a page's text was obtained. */
export type ExtractionMethod = 'text-layer' | 'ocr' | 'plain-text';

/** The text of one page; `page` is 1-based. */
export interface ExtractedPage {
  page: number;
  text: string;
  /** 0-100; exact text (text layer, plain text) is 100. */
  confidence: number;
  method: ExtractionMethod;
  /** Clockwise degrees the page's pixels were turned to read it upright (OCR pages only). */
  rotation?: 0 | 90 | 180 | 270;
  /** The page as a searchable PDF (OCR pages, when the archive was asked for). */
  pdf?: Buffer;
}

/** The whole document's text, pages in document order. */
export interface ExtractionResult {
  pages: ExtractedPage[];
  pageCount: number;
  /** Page texts joined by a blank line. */
  text: string;
  /** Mean word confidence: page confidences weighed by their word counts; 0 without words. */
  confidence: number;
  wordCount: number;
}

/** Progress after each finished page: `page` counts finished pages, 1..pages. */
export interface ExtractionProgress {
  page: number;
  pages: number;
}

export type ProgressListener = (progress: ExtractionProgress) => void;

/** Settings fixed for the life of an Extractor. */
export interface ExtractorOptions {
  /** Default tesseract languages, e.g. `eng` or `eng+deu` (`OCR_LANGUAGES`). */
  languages: string;
  /** A folder of standard `.traineddata` files besides the npm packages (`OCR_LANG_PATH`). */
  langPath?: string | undefined;
  /** OCR engines (worker threads) run in parallel; also pages processed at once per document. */
  concurrency: number;
  /** Decoded images and rendered PDF pages above this many pixels are refused or scaled down. */
  maxImagePixels: number;
  /** Limit for starting an OCR engine and for OCR of one page. */
  workerTimeoutMs: number;
  /** `tesseract-js` (WebAssembly, default) or `tesseract-cli` (the installed binary). */
  engine?: OcrEngineKind;
  /** Tried in turn on PDFs that need a user password (`OCR_PDF_PASSWORDS`). */
  pdfPasswords?: readonly string[];
  onProgress?: ProgressListener;
}

/** Per-document settings. */
export interface ExtractOptions {
  /** Replaces the Extractor-wide listener for this document. */
  onProgress?: ProgressListener;
  /** This document's OCR languages (`ocr_languages` of the upload); default the Extractor's. */
  languages?: string | undefined;
  /** Keep each OCRed page as a searchable PDF (`ExtractedPage.pdf`). */
  archive?: boolean;
}

/** Which OCR engine reads images (`OCR_ENGINE`). */
export type OcrEngineKind = 'tesseract-js' | 'tesseract-cli';
