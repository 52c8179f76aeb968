import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import sharp from 'sharp';
import { createWorker, OEM } from 'tesseract.js';

import { Extractor } from '../domain';
import { prepareImage } from '../domain/image.extractor';
import { buildLanguageCatalog } from '../domain/language.loader';
import { PAGE_LAYOUT } from '../domain/ocr.engine';

const HELP = `Usage: node services/ocr-worker/dist/bench/ocr.bench.js [--runs N] [--help]

Measures OCR of one dense A4 page rendered at 300 dpi, single-threaded:
  1. the whole extraction pipeline (Extractor, concurrency 1, image/png input)
  2. tesseract.js recognize() alone on the same prepared grayscale PNG, same page layout settings
  3. the tesseract command line (OMP_THREAD_LIMIT=1), if installed
and prints seconds per page and the pipeline's overhead over recognize() alone.
Each method runs once to warm up, then --runs times (default 3); the median is reported.
Build first: pnpm run build (or npx tsc -b services/ocr-worker).`;

const A4_300DPI = { width: 2480, height: 3508 };
const WORDS = 'invoice total amount payable within thirty days of receipt reference number'.split(
  ' ',
);

/** A page of 60 lines of 11-point-ish text, the density of a typed letter. */
function densePage(): Promise<Buffer> {
  const lines = Array.from({ length: 60 }, (_, row) =>
    Array.from({ length: 10 }, (_, col) => WORDS[(row * 7 + col * 3) % WORDS.length]).join(' '),
  );
  const texts = lines.map(
    (line, row) =>
      `<text x="200" y="${250 + row * 52}" font-family="serif" font-size="40">${line}</text>`,
  );
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${A4_300DPI.width}" height="${A4_300DPI.height}">` +
    `<rect width="100%" height="100%" fill="white"/>${texts.join('')}</svg>`;

  return sharp(Buffer.from(svg)).withMetadata({ density: 300 }).png().toBuffer();
}

async function timeRuns(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await work();
    seconds.push((performance.now() - started) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(seconds.length / 2)] ?? Number.NaN;
}

async function benchPipeline(page: Buffer, runs: number): Promise<number> {
  const extractor = new Extractor({
    languages: 'eng',
    concurrency: 1,
    maxImagePixels: 100_000_000,
    workerTimeoutMs: 300_000,
  });
  try {
    const input = { bytes: page, mimeType: 'image/png', filename: 'bench.png' };
    return await timeRuns(runs, () => extractor.extract(input));
  } finally {
    await extractor.close();
  }
}

async function benchTesseractJs(prepared: Buffer, runs: number): Promise<number> {
  const languages = buildLanguageCatalog();
  const worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath: languages.langPath,
    cacheMethod: 'none',
    gzip: languages.gzip,
  });
  try {
    // The page layout settings the pipeline's engine uses, so only the pipeline differs.
    await worker.setParameters(PAGE_LAYOUT);
    return await timeRuns(runs, () => worker.recognize(prepared));
  } finally {
    await worker.terminate();
    languages.dispose();
  }
}

async function benchCli(prepared: Buffer, runs: number): Promise<number | undefined> {
  const run = promisify(execFile);
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  try {
    await run('tesseract', ['--version'], { env });
  } catch {
    return undefined;
  }

  const folder = await mkdtemp(path.join(tmpdir(), 'readur-bench-'));
  try {
    const file = path.join(folder, 'page.png');
    await writeFile(file, prepared);
    const args = [file, 'stdout', '-l', 'eng', '--oem', '1'];
    return await timeRuns(runs, () => run('tesseract', args, { env, maxBuffer: 16 << 20 }));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function parseRuns(argv: string[]): number {
  const index = argv.indexOf('--runs');
  const runs = index >= 0 ? Number(argv[index + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  return runs;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const runs = parseRuns(argv);

  const page = await densePage();
  const prepared = await prepareImage(page, 1, 100_000_000);

  const pipeline = await benchPipeline(page, runs);
  const tesseractJs = await benchTesseractJs(prepared, runs);
  const cli = await benchCli(prepared, runs);

  console.log(`page: A4 at 300 dpi (${A4_300DPI.width}x${A4_300DPI.height}), median of ${runs}`);
  console.log(`pipeline (Extractor):        ${pipeline.toFixed(2)} s/page`);
  console.log(`tesseract.js recognize():    ${tesseractJs.toFixed(2)} s/page`);
  console.log(
    `tesseract CLI:               ${cli === undefined ? 'not installed' : `${cli.toFixed(2)} s/page`}`,
  );
  console.log(`pipeline / recognize():      ${(pipeline / tesseractJs).toFixed(2)}x`);
  if (cli !== undefined)
    console.log(`recognize() / CLI:           ${(tesseractJs / cli).toFixed(2)}x`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
