#!/usr/bin/env node
// OCR scale-out by page and worker memory, through a freshly started stack per run (own
// database, exchange and queues, random ports), so it can run beside a `make run` stack.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import stackModule from '@readur/stack';

const { startStack, dropDatabase } = stackModule;

const HELP = `Usage: node bench/ocr-scale.bench.mjs [--replicas 1,2,4] [--pages 12] [--lines 40]
                                         [--memory] [--help]

1. Generates a scanned PDF of <pages> A4 pages at 300 dpi (<lines> lines of text each, no
   text layer) and, for each replica count, starts a stack with that many ocr-worker
   processes (OCR_CONCURRENCY=1 each), uploads the PDF once to warm the engines, then again
   (other bytes) and times upload -> completed. The 1-replica run is the baseline; each row
   prints its time as a fraction of it.
2. --memory: one ocr-worker with OCR_CONCURRENCY=2 reads every file of ../shared/corpus; the
   worker's peak resident set (VmHWM, worker threads included) is printed.
Build first (pnpm run build). Needs PostgreSQL and RabbitMQ running.
`;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1,2,4' },
    pages: { type: 'string', default: '12' },
    lines: { type: 'string', default: '40' },
    memory: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const root = path.resolve(import.meta.dirname, '..');
const logFile = path.join(os.tmpdir(), `readur-ocr-bench-${process.pid}.log`);
console.log(`service logs: ${logFile}`);
const corpus = path.resolve(root, '../shared/corpus');
const WORDS = 'invoice total amount payable within thirty days of receipt reference number'.split(
  ' ',
);

async function scanPage(page, lines, salt) {
  const rows = Array.from(
    { length: lines },
    (_, row) =>
      `${page}.${row} ` +
      Array.from({ length: 9 }, (_, col) => WORDS[(row * 7 + col * 3 + page) % WORDS.length]).join(
        ' ',
      ),
  );
  const texts = rows.map(
    (line, row) =>
      `<text x="200" y="${300 + row * 70}" font-family="serif" font-size="42">${line}</text>`,
  );
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="2480" height="3508">` +
    `<rect width="100%" height="100%" fill="white"/>${texts.join('')}` +
    `<text x="200" y="3400" font-size="30">run ${salt}</text></svg>`;
  return sharp(Buffer.from(svg)).grayscale().png().toBuffer();
}

async function scannedPdf(pages, lines, salt) {
  const pdf = await PDFDocument.create();
  for (let page = 1; page <= pages; page++) {
    const png = await pdf.embedPng(await scanPage(page, lines, salt));
    pdf.addPage([595, 842]).drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
  }
  return Buffer.from(await pdf.save());
}

function peakMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+)/)[1]) / 1024;
}

async function withStack(name, workers, env, work) {
  const runId = `${name}_${process.pid}_${Date.now()}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_bench_${runId}`;
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-bench-'));
  const stack = await startStack({
    randomPorts: true,
    databaseUrl,
    exchange: `readur-bench-${runId}`,
    storagePath,
    ocrWorkers: workers,
    env: { LOG_LEVEL: 'warn', ...env },
    output: (service, line) => fs.appendFileSync(logFile, `${service} ${line}\n`),
  });
  try {
    return await work(stack, await signUp(stack.gatewayUrl, `bench_${runId}`));
  } finally {
    await stack.stop();
    await dropDatabase(databaseUrl);
    fs.rmSync(storagePath, { recursive: true, force: true });
  }
}

async function signUp(gatewayUrl, username) {
  const json = { 'content-type': 'application/json' };
  const body = JSON.stringify({ username, password: `pw-${username}-Long-enough-1` });
  await fetch(`${gatewayUrl}/api/auth/register`, { method: 'POST', headers: json, body });
  const login = await fetch(`${gatewayUrl}/api/auth/login`, {
    method: 'POST',
    headers: json,
    body,
  });
  const { token } = await login.json();
  const auth = { authorization: `Bearer ${token}` };
  return {
    async upload(bytes, name) {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      const res = await fetch(`${gatewayUrl}/api/documents/upload`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
      if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
      return (await res.json()).id;
    },
    async finished(id, timeoutMs = 1_800_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const document = await (
          await fetch(`${gatewayUrl}/api/documents/${id}`, { headers: auth })
        ).json();
        if (document.ocr_status === 'completed' || document.ocr_status === 'failed')
          return document;
        if (Date.now() > deadline) throw new Error(`document ${id} not finished`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

async function scaleOut() {
  const pages = Number(values.pages);
  const lines = Number(values.lines);
  const counts = values.replicas.split(',').map(Number);
  const rows = [];
  for (const replicas of counts) {
    const seconds = await withStack(
      `scale${replicas}`,
      replicas,
      { OCR_CONCURRENCY: '1' },
      async (_stack, user) => {
        const warm = await user.upload(
          await scannedPdf(pages, lines, `warm-${replicas}`),
          'warm.pdf',
        );
        await user.finished(warm);
        const bytes = await scannedPdf(pages, lines, `timed-${replicas}`);
        const started = performance.now();
        const id = await user.upload(bytes, 'timed.pdf');
        const document = await user.finished(id);
        if (document.ocr_status !== 'completed' || document.page_count !== pages) {
          throw new Error(
            `timed run ended ${document.ocr_status} with ${document.page_count} pages`,
          );
        }
        return (performance.now() - started) / 1000;
      },
    );
    rows.push({ replicas, seconds });
    const base = rows[0].seconds;
    console.log(
      `replicas ${replicas}: ${seconds.toFixed(1)} s for ${pages} pages, ` +
        `${((pages / seconds) * 60).toFixed(1)} pages/min, ${(seconds / base).toFixed(2)} of the ${rows[0].replicas}-replica time`,
    );
  }
  console.log(
    `machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)} at the end`,
  );
}

async function corpusMemory() {
  const files = fs.readdirSync(corpus).filter((name) => name !== 'MANIFEST.tsv');
  await withStack('memory', 1, { OCR_CONCURRENCY: '2' }, async (stack, user) => {
    const worker = stack.services.find((service) => service.name === 'ocr-worker-1');
    const ids = [];
    for (const name of files) {
      try {
        ids.push(await user.upload(fs.readFileSync(path.join(corpus, name)), name));
      } catch (error) {
        console.log(`not uploaded: ${name} (${error.message.split('\n')[0]})`);
      }
    }
    const started = performance.now();
    const outcomes = {};
    for (const id of ids) {
      const document = await user.finished(id);
      outcomes[document.ocr_status] = (outcomes[document.ocr_status] ?? 0) + 1;
    }
    console.log(
      `corpus: ${ids.length} files in ${((performance.now() - started) / 1000).toFixed(0)} s, ${JSON.stringify(outcomes)}; ` +
        `ocr-worker peak RSS with OCR_CONCURRENCY=2: ${peakMb(worker.child.pid).toFixed(0)} MB (limit 1024 MB)`,
    );
  });
}

if (values.memory) await corpusMemory();
else await scaleOut();
