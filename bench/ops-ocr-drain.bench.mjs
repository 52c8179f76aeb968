#!/usr/bin/env node
// OCR queue drain time with 1, 2 and 4 ocr-worker processes, and each worker's memory: the
// measurement behind the ocr-worker resources in k8s/. Starts its own stack (fresh database,
// own exchange, random ports), so it can run beside a `make run` stack.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import stackModule from '@readur/stack';

const { startStack, dropDatabase } = stackModule;
const run = promisify(execFile);

const HELP = `Usage: node bench/ops-ocr-drain.bench.mjs [--pages 200] [--workers 1,2,4]
       [--ocr-concurrency 1] [--prefetch 1] [--lines 20] [--baseline-pages 50]

For each worker count: stops every ocr-worker, uploads <pages> distinct scanned pages (PNG,
<lines> lines of text each) so they wait in the queue, starts that many ocr-worker processes
(OCR_CONCURRENCY=<ocr-concurrency>, AMQP_PREFETCH=<prefetch> each) and times until every page
is OCRed (worker start-up included, as in a scale-out). Reports pages/s, the peak RSS (VmHWM)
of each worker and the idle RSS of a freshly started worker.

Baseline, in the same run: Debian's tesseract CLI (native, no queue, no HTTP) reading the first
<baseline-pages> of the same pages with as many parallel processes as workers (pages/s).
Build first (pnpm run build). Needs PostgreSQL, RabbitMQ and the tesseract-ocr package.
`;

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2,4' },
    'ocr-concurrency': { type: 'string', default: '1' },
    lines: { type: 'string', default: '20' },
    prefetch: { type: 'string', default: '1' },
    'baseline-pages': { type: 'string', default: '50' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const pages = Number(values.pages);
const workerCounts = values.workers.split(',').map(Number);
const lines = Number(values.lines);

/** Peak and current resident set of a process, in MB, from /proc. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))[1]) / 1024;
  return { peak: field('VmHWM'), current: field('VmRSS') };
}

const WORDS = 'the quick brown fox jumps over a lazy dog while invoices wait for payment';

/** One A4-ish page of typed text, as a scanner would deliver it (150 dpi greyscale PNG). */
async function page(marker) {
  const width = 1240;
  const fontSize = 28;
  const lineHeight = 48;
  const text = Array.from({ length: lines }, (_, i) =>
    i === 0 ? marker : `${i} ${WORDS} ${marker.slice(-6)}`,
  )
    .map(
      (line, i) =>
        `<text x="80" y="${120 + i * lineHeight}" font-size="${fontSize}" font-family="DejaVu Sans">${line}</text>`,
    )
    .join('');
  const height = 1754;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).greyscale().png().toBuffer();
}

async function signUp(base) {
  const body = JSON.stringify({ username: `bench_${Date.now()}`, password: 'bench-password-123' });
  const headers = { 'content-type': 'application/json' };
  await fetch(`${base}/api/auth/register`, { method: 'POST', headers, body });
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers, body });
  return (await res.json()).token;
}

async function upload(base, token, bytes, name) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), name);
  const res = await fetch(`${base}/api/documents/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload ${res.status}: ${await res.text()}`);
}

async function countFinished(base, token) {
  let finished = 0;
  for (const status of ['completed', 'failed']) {
    const res = await fetch(`${base}/api/documents?limit=1&ocr_status=${status}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    finished += (await res.json()).total;
  }
  return finished;
}

/** The tesseract CLI over the same files, `parallel` processes at a time. */
async function baseline(files, parallel) {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const file = files[next++];
      await run('tesseract', [file, '-', '-l', 'eng'], {
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
        maxBuffer: 16 << 20,
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return (performance.now() - started) / 1000;
}

const runId = `${process.pid}_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_bench_ocr_${runId}`;
const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-bench-ocr-'));
const stack = await startStack({
  randomPorts: true,
  databaseUrl,
  exchange: `readur-bench-ocr-${runId}`,
  storagePath,
  ocrWorkers: 1,
  env: {
    LOG_LEVEL: 'warn',
    OCR_CONCURRENCY: values['ocr-concurrency'],
    AMQP_PREFETCH: values.prefetch,
    RATE_LIMIT_ENABLED: 'false',
    // A run takes longer than the default 15-minute access token.
    ACCESS_TOKEN_TTL_SECONDS: '86400',
  },
});
const results = [];
// Ctrl-C or a kill stops the stack's processes too, instead of leaving them running.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stack
      .stop()
      .then(() => dropDatabase(databaseUrl))
      .finally(() => process.exit(130));
  });
}
try {
  const token = await signUp(stack.gatewayUrl);
  const firstWorker = stack.services.find((service) => service.name.startsWith('ocr-worker'));
  const idleRss = memory(firstWorker.child.pid).current;
  await firstWorker.stop();
  let running = [];
  let uploaded = 0;

  for (const count of workerCounts) {
    const files = [];
    for (let i = 0; i < pages; i += 1) {
      const bytes = await page(`page ${count}w ${i} ${runId}`);
      const file = path.join(storagePath, `page-${count}-${i}.png`);
      fs.writeFileSync(file, bytes);
      files.push(file);
      await upload(stack.gatewayUrl, token, bytes, `page-${count}-${i}.png`);
    }
    uploaded += pages;

    const started = performance.now();
    running = await Promise.all(Array.from({ length: count }, () => stack.addOcrWorker()));
    const peaks = new Map(running.map((worker) => [worker.child.pid, 0]));
    while ((await countFinished(stack.gatewayUrl, token)) < uploaded) {
      for (const worker of running) {
        peaks.set(worker.child.pid, memory(worker.child.pid).peak);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    for (const worker of running) peaks.set(worker.child.pid, memory(worker.child.pid).peak);
    await Promise.all(running.map((worker) => worker.stop()));

    const sample = files.slice(0, Number(values['baseline-pages']));
    const cliPagesPerSecond = sample.length / (await baseline(sample, count));
    results.push({
      workers: count,
      seconds,
      pagesPerSecond: pages / seconds,
      peakRss: [...peaks.values()],
      cliPagesPerSecond,
    });
    process.stderr.write(
      `${count} worker(s): ${seconds.toFixed(1)} s, peak RSS ${[...peaks.values()].map((mb) => mb.toFixed(0)).join('/')} MB (tesseract CLI ${cliPagesPerSecond.toFixed(2)} pages/s)\n`,
    );
  }

  const others = stack.services
    .filter((service) => !service.name.startsWith('ocr-worker') && service.child.exitCode === null)
    .map((service) => `${service.name} ${memory(service.child.pid).peak.toFixed(0)} MB`);
  const cores = os.availableParallelism();
  console.log(
    `\nOCR queue drain: ${pages} scanned pages (1240x1754, ${lines} lines), OCR_CONCURRENCY=${values['ocr-concurrency']}, AMQP_PREFETCH=${values.prefetch}, ${cores} cores`,
  );
  console.log(`idle ocr-worker RSS after start: ${idleRss.toFixed(0)} MB`);
  console.log(`peak RSS of the other services over the run: ${others.join(', ')}\n`);
  console.log(
    '| workers | drain s | pages/s | peak RSS per worker MB | tesseract CLI pages/s (same parallelism) | workers ÷ CLI |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const rss = r.peakRss.map((mb) => mb.toFixed(0)).join(', ');
    const ratio = r.pagesPerSecond / r.cliPagesPerSecond;
    console.log(
      `| ${r.workers} | ${r.seconds.toFixed(1)} | ${r.pagesPerSecond.toFixed(2)} | ${rss} | ${r.cliPagesPerSecond.toFixed(2)} | ${ratio.toFixed(2)} |`,
    );
  }
} finally {
  await stack.stop();
  await dropDatabase(databaseUrl).catch(() => undefined);
  fs.rmSync(storagePath, { recursive: true, force: true });
}
