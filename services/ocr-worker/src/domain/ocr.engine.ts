import path from 'node:path';

import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';

import { ExtractionError } from './extraction.errors';
import { lineTurnOf } from './line.direction';
import { buildLanguageCatalog, checkLanguages, type LanguageCatalog } from './language.loader';

import type { OcrOutput, Orientation, RecognizeOptions, TextRecognizer } from './recognizer.types';

export type { OcrOutput, Orientation, RecognizeOptions, TextRecognizer } from './recognizer.types';

/**
 * Page layout as the tesseract-cli engine reads it. Fully automatic segmentation, as the
 * `tesseract` command line uses: the library's own default treats a page as one uniform block
 * of text, which dropped a page's second heading line and read two columns across, line by
 * line. Sideways lines are not read as vertical text: such a page is turned upright instead
 * (orientation.corrector), so the reported rotation, thumbnail and archive agree.
 */
export const PAGE_LAYOUT = { tessedit_pageseg_mode: PSM.AUTO, textord_tabfind_vertical_text: '0' };

/** Settings of an OCR engine pool. */
export interface OcrEngineOptions {
  /** The default languages, e.g. `eng+deu` (`OCR_LANGUAGES`). */
  languages: string;
  /** A folder of plain `.traineddata` files besides the npm packages (`OCR_LANG_PATH`). */
  langPath?: string | undefined;
  concurrency: number;
  timeoutMs: number;
}

/** One worker thread; `worker` is empty until first use and after a timeout threw it away. */
interface Slot {
  worker?: Worker;
  /** The languages `worker` is initialised with. */
  languages?: string;
}

const MIN_START_TIMEOUT_MS = 60_000;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ExtractionError('timeout', `${what} took over ${ms} ms`)),
      ms,
    );
  });

  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A pool of tesseract.js workers, one image per worker at a time. Workers start lazily so an
 * idle service holds no models in memory, and a worker that overruns the timeout is
 * terminated and replaced, since a stuck WASM call cannot be interrupted any other way.
 */
export class OcrEngine implements TextRecognizer {
  private readonly catalog: LanguageCatalog;
  /** The default languages, checked against the installed ones. */
  readonly languages: string;
  private readonly slots: Slot[];
  private readonly idle: Slot[];
  private readonly waiting: { languages: string; take: (slot: Slot) => void }[] = [];
  /** One orientation (OSD) engine, used by one page at a time and only for doubtful pages. */
  private readonly osdSlot: Slot = {};
  private osdQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private replaced = 0;

  constructor(private readonly options: OcrEngineOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(`OCR concurrency must be a positive integer, got ${options.concurrency}`);
    }

    this.catalog = buildLanguageCatalog(options.langPath);
    try {
      this.languages = checkLanguages(options.languages, this.catalog.available);
    } catch (error) {
      this.catalog.dispose();
      throw error;
    }
    this.slots = Array.from({ length: options.concurrency }, () => ({}));
    this.idle = [...this.slots];
  }

  /** Every language this engine can read, sorted. */
  get availableLanguages(): string[] {
    return [...this.catalog.available];
  }

  /**
   * Reads the text in an image (PNG, JPEG, BMP, PBM bytes) in `languages` (default: the
   * engine's). An engine initialised with other languages is re-initialised, so a pool never
   * holds more than `concurrency` models in memory whatever the documents ask for.
   */
  async recognize(
    image: Buffer,
    languages: string = this.languages,
    options: RecognizeOptions = {},
  ): Promise<OcrOutput> {
    const wanted = checkLanguages(languages, this.catalog.available);
    const slot = await this.acquire(wanted);
    try {
      const worker = await this.workerOf(slot, wanted);
      const output = { text: true, tsv: true, pdf: options.pdf === true };
      const { data } = await this.guard(
        slot,
        worker.recognize(image, {}, output),
        'OCR of one page',
      );
      const pdf = options.pdf && data.pdf ? Buffer.from(data.pdf) : undefined;
      return {
        text: data.text,
        confidence: data.confidence,
        lineTurn: lineTurnOf(data.tsv ?? ''),
        ...(pdf ? { pdf } : {}),
      };
    } finally {
      this.release(slot);
    }
  }

  /**
   * Detects the page orientation with tesseract's OSD model (legacy engine, from
   * `@tesseract.js-data/osd`). `undefined` when OSD finds no script to judge by (blank pages).
   */
  detectOrientation(image: Buffer): Promise<Orientation | undefined> {
    if (this.closed) return Promise.reject(new Error('OCR engine is closed'));

    const run = async (): Promise<Orientation | undefined> => {
      const worker = await this.osdWorker();
      const { data } = await this.guard(this.osdSlot, worker.detect(image), 'Orientation check');
      const degrees = data.orientation_degrees;
      if (degrees !== 0 && degrees !== 90 && degrees !== 180 && degrees !== 270) return undefined;
      return { degrees, confidence: data.orientation_confidence ?? 0 };
    };
    const result = this.osdQueue.then(run, run);
    this.osdQueue = result.catch(() => undefined);
    return result;
  }

  /** How many engines were thrown away after overrunning the timeout (for tests and metrics). */
  get replacedEngines(): number {
    return this.replaced;
  }

  /** Terminates every worker; recognize() fails afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.slots, this.osdSlot];
    const workers = all.flatMap((slot) => (slot.worker ? [slot.worker] : []));
    all.forEach((slot) => delete slot.worker);
    await Promise.allSettled(workers.map((worker) => worker.terminate()));
    this.catalog.dispose();
  }

  /** An idle slot, preferring one already initialised with `languages`. */
  private acquire(languages: string): Promise<Slot> {
    if (this.closed) return Promise.reject(new Error('OCR engine is closed'));

    const matching = this.idle.findIndex((slot) => slot.languages === languages);
    const index = matching >= 0 ? matching : this.idle.length - 1;
    const [slot] = index >= 0 ? this.idle.splice(index, 1) : [];
    if (slot) return Promise.resolve(slot);

    return new Promise((take) => this.waiting.push({ languages, take }));
  }

  private release(slot: Slot): void {
    const matching = this.waiting.findIndex((waiter) => waiter.languages === slot.languages);
    const [next] = this.waiting.splice(matching >= 0 ? matching : 0, 1);
    if (next) next.take(slot);
    else this.idle.push(slot);
  }

  private async workerOf(slot: Slot, languages: string): Promise<Worker> {
    const worker = await this.start(slot, async () => {
      const created = await createWorker(languages, OEM.LSTM_ONLY, {
        langPath: this.catalog.langPath,
        gzip: this.catalog.gzip,
        cacheMethod: 'none',
        // Without a handler tesseract.js rethrows worker errors where nobody can catch them.
        errorHandler: () => undefined,
      });
      await created.setParameters(PAGE_LAYOUT);
      return created;
    });
    if (slot.languages === undefined) slot.languages = languages;
    if (slot.languages !== languages) {
      await this.guard(slot, worker.reinitialize(languages, OEM.LSTM_ONLY), 'Switching languages');
      await worker.setParameters(PAGE_LAYOUT);
      slot.languages = languages;
    }
    return worker;
  }

  /** OSD needs the legacy (non-LSTM) core and the legacy `osd` model. */
  private osdWorker(): Promise<Worker> {
    return this.start(this.osdSlot, () =>
      createWorker('osd', OEM.TESSERACT_ONLY, {
        langPath: osdModelFolder(),
        legacyCore: true,
        legacyLang: true,
        cacheMethod: 'none',
        gzip: true,
        errorHandler: () => undefined,
      }),
    );
  }

  private async start(slot: Slot, create: () => Promise<Worker>): Promise<Worker> {
    if (slot.worker) return slot.worker;

    const starting = create();
    try {
      // Starting loads models (seconds on a busy machine); a short page limit must not starve it.
      const limit = Math.max(this.options.timeoutMs, MIN_START_TIMEOUT_MS);
      slot.worker = await withTimeout(starting, limit, 'Starting an OCR engine');
    } catch (error) {
      // A worker that comes up after its timeout would otherwise live on, unowned.
      starting.then((late) => late.terminate()).catch(() => undefined);
      throw asError(error);
    }

    return slot.worker;
  }

  private async guard<T>(slot: Slot, work: Promise<T>, what: string): Promise<T> {
    try {
      return await withTimeout(work, this.options.timeoutMs, what);
    } catch (error) {
      if (error instanceof ExtractionError && error.reason === 'timeout') {
        const stuck = slot.worker;
        delete slot.worker;
        delete slot.languages;
        this.replaced += 1;
        stuck?.terminate().catch(() => undefined);
      }
      throw asError(error);
    }
  }
}

/** The legacy OSD model of `@tesseract.js-data/osd` (the `_best_int` folder is LSTM only). */
function osdModelFolder(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/osd/package.json')), '4.0.0');
}

/** tesseract.js rejects with bare strings; callers deserve an Error with a stack. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(`OCR engine failed: ${String(error)}`);
}
