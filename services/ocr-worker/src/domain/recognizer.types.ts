import type { LineTurn } from './line.direction';

/** What OCR found on one image. */
export interface OcrOutput {
  text: string;
  /** Tesseract's mean word confidence, 0-100. */
  confidence: number;
  /** The page as a searchable PDF (the image plus an invisible text layer), when asked for. */
  pdf?: Buffer;
  /**
   * The clockwise turn that would make the lines found horizontal: 90 or 270 when the page
   * was read while lying on its side. Not set by engines that do not report line directions.
   */
  lineTurn?: LineTurn;
}

/** What orientation detection found: turning the image clockwise by `degrees` makes it upright. */
export interface Orientation {
  degrees: 0 | 90 | 180 | 270;
  /** Tesseract's OSD confidence; values under about 2 are guesses. */
  confidence: number;
}

/** Per-image options of `recognize`. */
export interface RecognizeOptions {
  /** Also render the page as a searchable PDF (`OcrOutput.pdf`). */
  pdf?: boolean;
}

/**
 * An OCR engine pool: tesseract.js in WebAssembly (`OCR_ENGINE=tesseract-js`) or the installed
 * `tesseract` binary (`OCR_ENGINE=tesseract-cli`). Both read the same images, in the same
 * languages, under the same per-page time limit, and fail the same way.
 */
export interface TextRecognizer {
  /** The default languages, normalised (`eng+deu`). */
  readonly languages: string;
  /** Every language this engine can read, sorted. */
  readonly availableLanguages: string[];
  /** Engines thrown away after overrunning the time limit. */
  readonly replacedEngines: number;
  /** Reads the text of one image (PNG, JPEG, BMP, PBM bytes) in `languages`. */
  recognize(image: Buffer, languages?: string, options?: RecognizeOptions): Promise<OcrOutput>;
  /** Which way is up; `undefined` when there is no script to judge by. */
  detectOrientation(image: Buffer): Promise<Orientation | undefined>;
  /** Stops every engine; `recognize` fails afterwards. */
  close(): Promise<void>;
}
