#!/usr/bin/env node
// Upload throughput and memory through the gateway. Starts its own stack (fresh database,
// own exchange, random ports), so it can run beside a `make run` stack.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import stackModule from '@readur/stack';

const { startStack, dropDatabase } = stackModule;

const HELP = `Usage: node bench/upload.bench.mjs [--uploads 200] [--clients 16] [--big-mb 1024]

Measures, through the gateway of a freshly started stack:
  1. <uploads> small distinct uploads from <clients> concurrent clients: uploads/s, p50/p99
     latency, and peak RSS of each service process; the baseline, in the same run, is the
     same uploads sent straight to the document service (what the gateway adds);
  2. one streamed upload of <big-mb> MB: RSS growth of the gateway and the document service.
Build first (pnpm run build). Needs PostgreSQL and RabbitMQ running.
`;

const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '200' },
    clients: { type: 'string', default: '16' },
    'big-mb': { type: 'string', default: '1024' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** Peak and current resident set of a process, in MB, from /proc. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))[1]) / 1024;
  return { peak: field('VmHWM'), current: field('VmRSS') };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function signUp(base) {
  const body = JSON.stringify({ username: `bench_${Date.now()}`, password: 'bench-password-123' });
  const headers = { 'content-type': 'application/json' };
  await fetch(`${base}/api/auth/register`, { method: 'POST', headers, body });
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers, body });
  return (await res.json()).token;
}

/**
 * `uploads` small distinct uploads from `clients` concurrent clients to `url`, with `headers`:
 * through the gateway with a token, or (the baseline) straight to the document service with
 * the trust headers the gateway would add.
 */
async function smallUploads(url, headers, uploads, clients, label) {
  const latencies = [];
  let next = 0;
  const client = async () => {
    while (next < uploads) {
      const i = next++;
      const form = new FormData();
      form.append(
        'file',
        new Blob([`bench document ${label} ${i} ${Math.random()}\n`]),
        `note-${i}.txt`,
      );
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body: form });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`upload ${i} answered ${res.status}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: uploads / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** A multipart body streamed from a generator: the client never holds the file either. */
function streamingMultipart(sizeMb) {
  const boundary = `----readur-bench-${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(1024 * 1024);
  async function* body() {
    yield head;
    for (let i = 0; i < sizeMb; i += 1) {
      chunk.writeUInt32LE(i, 0);
      yield chunk;
    }
    yield tail;
  }
  return {
    body: Readable.from(body()),
    length: head.length + sizeMb * chunk.length + tail.length,
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

async function bigUpload(base, token, sizeMb) {
  const { body, length, type } = streamingMultipart(sizeMb);
  const started = performance.now();
  const res = await fetch(`${base}/api/documents/upload`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': type,
      'content-length': String(length),
    },
    body,
    duplex: 'half',
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`big upload answered ${res.status}: ${answer}`);
  return (performance.now() - started) / 1000;
}

const runId = `${process.pid}_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_bench_${runId}`;
const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-bench-'));
const bigMb = Number(values['big-mb']);
const stack = await startStack({
  randomPorts: true,
  databaseUrl,
  storagePath,
  exchange: `readur-bench-${runId}`,
  env: { LOG_LEVEL: 'warn', MAX_UPLOAD_SIZE_MB: String(bigMb + 10), OCR_CONCURRENCY: '1' },
});
try {
  const token = await signUp(stack.gatewayUrl);
  const uploads = Number(values.uploads);
  const clients = Number(values.clients);

  const me = await (
    await fetch(`${stack.gatewayUrl}/api/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json();
  // Each batch gets its own text: a repeat would be a 409 duplicate.
  let batch = 0;
  const viaGateway = () =>
    smallUploads(
      `${stack.gatewayUrl}/api/documents/upload`,
      { authorization: `Bearer ${token}` },
      uploads,
      clients,
      `gateway ${(batch += 1)}`,
    );
  const direct = () =>
    smallUploads(
      `${stack.documentUrl}/api/documents/upload`,
      {
        'x-internal-token': stack.internalToken,
        'x-user-id': me.user.id,
        'x-user-role': me.user.role,
      },
      uploads,
      clients,
      `direct ${(batch += 1)}`,
    );
  // Warm both paths, then measure baseline, gateway, gateway, baseline and keep each path's
  // faster run: the OCR and events of one batch run while the next is measured.
  await smallUploads(
    `${stack.gatewayUrl}/api/documents/upload`,
    { authorization: `Bearer ${token}` },
    20,
    clients,
    'warm',
  );
  const runs = { baseline: [await direct()], gateway: [await viaGateway()] };
  runs.gateway.push(await viaGateway());
  runs.baseline.push(await direct());
  const faster = (a, b) => (a.perSecond >= b.perSecond ? a : b);
  const baseline = runs.baseline.reduce(faster);
  const small = runs.gateway.reduce(faster);
  const line = (name, result) =>
    `  ${name.padEnd(34)} uploads/s ${result.perSecond.toFixed(1).padStart(6)}  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms`;
  console.log(`\n${uploads} small uploads, ${clients} clients`);
  console.log(line('baseline: straight to document', baseline));
  console.log(line('through the gateway', small));
  console.log(
    `  gateway / baseline: throughput x${(small.perSecond / baseline.perSecond).toFixed(2)}, p50 x${(small.p50 / baseline.p50).toFixed(2)}, p99 x${(small.p99 / baseline.p99).toFixed(2)}`,
  );
  console.log('  peak RSS per service:');
  for (const service of stack.services) {
    console.log(`    ${service.name.padEnd(14)} ${memory(service.child.pid).peak.toFixed(0)} MB`);
  }

  const gateway = stack.services.find((s) => s.name === 'gateway');
  const document = stack.services.find((s) => s.name === 'document');
  const before = {
    gateway: memory(gateway.child.pid).current,
    document: memory(document.child.pid).current,
  };
  const highest = { ...before };
  const sampler = setInterval(() => {
    highest.gateway = Math.max(highest.gateway, memory(gateway.child.pid).current);
    highest.document = Math.max(highest.document, memory(document.child.pid).current);
  }, 50);
  const seconds = await bigUpload(stack.gatewayUrl, token, bigMb).finally(() =>
    clearInterval(sampler),
  );
  console.log(
    `\none ${bigMb} MB upload in ${seconds.toFixed(1)} s (${(bigMb / seconds).toFixed(0)} MB/s)`,
  );
  for (const name of ['gateway', 'document']) {
    const growth = highest[name] - before[name];
    console.log(
      `  ${name.padEnd(9)} RSS before ${before[name].toFixed(0)} MB, highest during ${highest[name].toFixed(0)} MB, growth ${growth.toFixed(0)} MB (limit 100 MB)`,
    );
  }
} finally {
  await stack.stop();
  await dropDatabase(databaseUrl);
  fs.rmSync(storagePath, { recursive: true, force: true });
}
