import { execFile, execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describeCause, ExtractionError } from './extraction.errors';
import { buildLanguageCatalog, checkLanguages, type LanguageCatalog } from './language.loader';
import { lineTurnOf } from './line.direction';
import type { OcrOutput, Orientation, RecognizeOptions, TextRecognizer } from './recognizer.types';

/** Settings of the command-line engine. */
export interface TesseractCliOptions {
  /** The default languages, e.g. `eng+deu` (`OCR_LANGUAGES`). */
  languages: string;
  /** A folder of plain `.traineddata` files (`OCR_LANG_PATH`); default the binary's own. */
  langPath?: string | undefined;
  /** Processes run at once. */
  concurrency: number;
  timeoutMs: number;
  /** The binary; default `tesseract` on the PATH. */
  binary?: string;
}

interface Run {
  stdout: string;
}

/** The binary's own model folder, from `tesseract --list-langs`. */
function systemTessdata(binary: string): string {
  let listing: string;
  try {
    listing = execFileSync(binary, ['--list-langs'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    throw new Error(`OCR_ENGINE=tesseract-cli but '${binary}' cannot run: ${describeCause(error)}`);
  }
  const folder = /"([^"]+)"/u.exec(listing)?.[1];
  if (!folder) throw new Error(`cannot find the model folder of '${binary}'`);
  return folder;
}

/** Tesseract's mean word confidence from its TSV output (level 5 rows are words). */
export function meanWordConfidence(tsv: string): number {
  const confidences = tsv
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cells) => cells[0] === '5' && (cells[11] ?? '').trim() !== '')
    .map((cells) => Number(cells[10]))
    .filter((confidence) => confidence >= 0);
  if (confidences.length === 0) return 0;
  return confidences.reduce((sum, value) => sum + value, 0) / confidences.length;
}

/**
 * OCR with the installed `tesseract` binary (`OCR_ENGINE=tesseract-cli`): native code, about
 * twice the speed of WebAssembly. One process per page, single-threaded (`OMP_THREAD_LIMIT=1`,
 * parallelism comes from `concurrency`), killed at the page time limit. Models come from
 * `OCR_LANG_PATH` or the binary's own folder; the npm models join them unpacked.
 */
export class TesseractCliEngine implements TextRecognizer {
  readonly languages: string;
  private readonly catalog: LanguageCatalog;
  private readonly binary: string;
  private readonly osdFolder: string;
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private replaced = 0;
  private closed = false;

  constructor(private readonly options: TesseractCliOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(`OCR concurrency must be a positive integer, got ${options.concurrency}`);
    }

    this.binary = options.binary ?? 'tesseract';
    const system = systemTessdata(this.binary);
    this.catalog = buildLanguageCatalog(options.langPath ?? system);
    try {
      this.languages = checkLanguages(options.languages, this.catalog.available);
    } catch (error) {
      this.catalog.dispose();
      throw error;
    }
    const own = options.langPath && existsSync(path.join(options.langPath, 'osd.traineddata'));
    this.osdFolder = own && options.langPath ? options.langPath : system;
    // The PDF renderer reads its glyph-less font from the model folder.
    const font = [options.langPath, system]
      .map((folder) => folder && path.join(folder, 'pdf.ttf'))
      .find((file) => file && existsSync(file));
    if (font) symlinkSync(font, path.join(this.catalog.langPath, 'pdf.ttf'));
  }

  get availableLanguages(): string[] {
    return [...this.catalog.available];
  }

  get replacedEngines(): number {
    return this.replaced;
  }

  async recognize(
    image: Buffer,
    languages: string = this.languages,
    options: RecognizeOptions = {},
  ): Promise<OcrOutput> {
    const wanted = checkLanguages(languages, this.catalog.available);

    return this.withImage(image, async (folder, input) => {
      const base = path.join(folder, 'out');
      // Settings rather than config files: the private model folder holds no `configs/`.
      const formats = ['txt', 'tsv', ...(options.pdf ? ['pdf'] : [])].flatMap((format) => [
        '-c',
        `tessedit_create_${format}=1`,
      ]);
      const args = [input, base, '--tessdata-dir', this.catalog.langPath, '-l', wanted];
      // Sideways lines are not to be read as vertical text: the page is turned upright
      // instead (orientation.corrector), so the reported rotation, thumbnail and archive agree.
      const settings = ['-c', 'textord_tabfind_vertical_text=0', ...formats];
      await this.run([...args, '--oem', '1', ...settings], 'OCR of one page');

      const [text, tsv] = await Promise.all([
        readFile(`${base}.txt`, 'utf8'),
        readFile(`${base}.tsv`, 'utf8'),
      ]);
      const pdf = options.pdf ? await readFile(`${base}.pdf`) : undefined;
      return {
        text,
        confidence: meanWordConfidence(tsv),
        lineTurn: lineTurnOf(tsv),
        ...(pdf ? { pdf } : {}),
      };
    });
  }

  async detectOrientation(image: Buffer): Promise<Orientation | undefined> {
    return this.withImage(image, async (_folder, input) => {
      const args = [input, 'stdout', '--tessdata-dir', this.osdFolder, '--psm', '0'];
      const { stdout } = await this.run(args, 'Orientation check', true);
      // `Rotate` is the clockwise turn that makes the page upright, as sharp turns it.
      const degrees = Number(/Rotate:\s*(\d+)/u.exec(stdout)?.[1]);
      const confidence = Number(/Orientation confidence:\s*([\d.]+)/u.exec(stdout)?.[1] ?? 0);
      if (degrees !== 0 && degrees !== 90 && degrees !== 180 && degrees !== 270) return undefined;
      return { degrees, confidence };
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.catalog.dispose();
    return Promise.resolve();
  }

  /** Writes the image to a private folder, holds one of `concurrency` slots, cleans up. */
  private async withImage<T>(
    image: Buffer,
    work: (folder: string, input: string) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new Error('OCR engine is closed');

    await this.acquire();
    const folder = await mkdtemp(path.join(tmpdir(), 'readur-tesseract-'));
    try {
      const input = path.join(folder, 'page.img');
      await writeFile(input, image);
      return await work(folder, input);
    } finally {
      await rm(folder, { recursive: true, force: true });
      this.release();
    }
  }

  /** Runs the binary; OSD without any script to judge by exits non-zero, which `lenient` allows. */
  private run(args: string[], what: string, lenient = false): Promise<Run> {
    const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
    const timeout = this.options.timeoutMs;

    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        args,
        { env, timeout, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
        (error, stdout) => {
          if (error && error.killed) {
            this.replaced += 1;
            reject(new ExtractionError('timeout', `${what} took over ${timeout} ms`));
          } else if (error && !lenient) {
            reject(new Error(`tesseract failed: ${describeCause(error)}`));
          } else {
            resolve({ stdout });
          }
        },
      );
    });
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
