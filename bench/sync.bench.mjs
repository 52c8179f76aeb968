#!/usr/bin/env node
// Sync benchmark: a local folder and a WebDAV tree of N small files, synced the first time and
// again unchanged, beside a baseline measured in the same run (a bare walk that lists and reads
// every file without the sync service). Build first (pnpm run build); needs PostgreSQL and
// RabbitMQ. The document and sync services run in this process, so memory figures cover both.
import { createRequire } from 'node:module';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const HELP = `Usage: node bench/sync.bench.mjs [--files 10000] [--size 600] [--kinds local,webdav]

For each kind, builds a tree of <files> distinct small files (<size> bytes, 100 per folder),
then measures:
  baseline  a bare walk that lists and reads every file (fs for local, the webdav client for
            WebDAV), without the sync or document services;
  first     the first sync (every file read, sent and stored as a document);
  second    a second sync with nothing changed (listing and comparing only).
Prints wall time, files/s, and peak RSS / heap of this process during each phase. The second
run should take under 10% of the first.
`;

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    size: { type: 'string', default: '600' },
    kinds: { type: 'string', default: 'local,webdav' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const FILES = Number(values.files);
const SIZE = Number(values.size);
const KINDS = values.kinds.split(',');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const requireSync = createRequire(path.join(root, 'services/sync/package.json'));
const { loadSyncConfig, startSyncService } = requireSync('./dist/index.js');
const { loadDocumentConfig, startDocumentService } = createRequire(
  path.join(root, 'services/document/package.json'),
)('./dist/index.js');
const { createTestDatabase, uniqueName } = createRequire(
  path.join(root, 'packages/testkit/package.json'),
)('./dist/index.js');
const { v2: webdav } = requireSync('webdav-server');

const TOKEN = 'bench-internal-token-0123456789';

/** Samples RSS and heap while `fn` runs. */
async function measure(fn) {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 25);
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  clearInterval(timer);
  return {
    ms,
    peakRssMb: peakRss / 2 ** 20,
    heapGrowthMb: (peakHeap - base.heapUsed) / 2 ** 20,
    result,
  };
}

async function buildTree(dir) {
  const old = new Date(Date.now() - 3_600_000);
  for (let index = 0; index < FILES; index += 1) {
    const folder = path.join(dir, `folder-${String(Math.floor(index / 100)).padStart(3, '0')}`);
    if (index % 100 === 0) await mkdir(folder, { recursive: true });
    const file = path.join(folder, `page ${index}.txt`);
    const line = `file ${index} ${randomUUID()} `;
    await writeFile(file, line.repeat(Math.ceil(SIZE / line.length)).slice(0, SIZE));
    await utimes(file, old, old);
  }
}

async function walkAndRead(dir) {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) count += await walkAndRead(full);
    else if (entry.isFile()) {
      await stat(full);
      await readFile(full);
      count += 1;
    }
  }
  return count;
}

async function davWalkAndRead(client, dir = '/') {
  let count = 0;
  for (const item of await client.getDirectoryContents(dir)) {
    if (item.type === 'directory') count += await davWalkAndRead(client, item.filename);
    else {
      await client.getFileContents(item.filename);
      count += 1;
    }
  }
  return count;
}

async function startDav(dir) {
  const users = new webdav.SimpleUserManager();
  const user = users.addUser('bench', 'bench-password', false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(user, '/', ['all']);
  const server = new webdav.WebDAVServer({
    port: 0,
    hostname: '127.0.0.1',
    httpAuthentication: new webdav.HTTPBasicAuthentication(users, 'bench'),
    privilegeManager: privileges,
  });
  await new Promise((resolve) =>
    server.setFileSystem('/dav', new webdav.PhysicalFileSystem(dir), resolve),
  );
  const http = await new Promise((resolve) => server.start(resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}/dav`,
    stop: () => new Promise((r) => server.stop(r)),
  };
}

async function api(baseUrl, userId, method, url, body) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      'X-Internal-Token': TOKEN,
      'X-User-Id': userId,
      'X-User-Role': 'admin',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return response.json();
}

async function syncOnce(baseUrl, userId, sourceId, previousRunId) {
  if (previousRunId) await api(baseUrl, userId, 'POST', `/api/sources/${sourceId}/sync`);
  for (;;) {
    const status = await api(baseUrl, userId, 'GET', `/api/sources/${sourceId}/status`);
    if (status.run && status.run.id !== previousRunId && status.run.status !== 'running')
      return status.run;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const row = (label, figures, files) =>
  `${label.padEnd(22)} ${(figures.ms / 1000).toFixed(2).padStart(8)} s ${(files / (figures.ms / 1000)).toFixed(0).padStart(8)} files/s   peak RSS ${figures.peakRssMb.toFixed(0).padStart(5)} MB   heap growth ${figures.heapGrowthMb.toFixed(1).padStart(6)} MB`;

async function main() {
  const database = await createTestDatabase('sync_bench');
  const exchange = uniqueName('sync-bench');
  const work = await mkdtemp(path.join(os.tmpdir(), 'readur-sync-bench-'));
  const shared = {
    DATABASE_URL: database.url,
    INTERNAL_API_TOKEN: TOKEN,
    PORT: '0',
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'error',
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUE: exchange,
  };
  const document = await startDocumentService(
    loadDocumentConfig({ ...shared, STORAGE_PATH: path.join(work, 'storage') }),
  );
  const sync = await startSyncService(
    loadSyncConfig({
      ...shared,
      DOCUMENT_SERVICE_URL: `http://127.0.0.1:${document.port}`,
      SYNC_ENCRYPTION_KEY: 'bench-sync-encryption-key-0123456789abcdef',
      SYNC_SCHEDULER_TICK_MS: '50',
      FILE_STABILITY_CHECK_MS: '1000',
    }),
  );
  const baseUrl = `http://127.0.0.1:${sync.port}`;
  const lines = [
    `sync benchmark: ${FILES} files of ${SIZE} bytes, node ${process.version}, ${os.cpus().length} cores`,
  ];

  try {
    for (const kind of KINDS) {
      const tree = path.join(work, kind);
      await mkdir(tree, { recursive: true });
      await buildTree(tree);
      const userId = randomUUID();
      let dav;
      let baseline;
      let config;
      if (kind === 'webdav') {
        dav = await startDav(tree);
        const { createClient } = await import(requireSync.resolve('webdav'));
        const client = createClient(dav.url, { username: 'bench', password: 'bench-password' });
        baseline = await measure(() => davWalkAndRead(client));
        config = {
          server_url: dav.url,
          username: 'bench',
          password: 'bench-password',
          folders: ['/'],
          interval_seconds: 86400,
        };
      } else {
        baseline = await measure(() => walkAndRead(tree));
        config = { paths: [tree], interval_seconds: 86400, watch: false };
      }

      const first = await measure(async () => {
        const source = await api(baseUrl, userId, 'POST', '/api/sources', {
          name: kind,
          source_type: kind === 'webdav' ? 'webdav' : 'local_folder',
          enabled: true,
          config,
        });
        return { source, run: await syncOnce(baseUrl, userId, source.id) };
      });
      const sourceId = first.result.source.id;
      const second = await measure(() => syncOnce(baseUrl, userId, sourceId, first.result.run.id));
      await dav?.stop();

      lines.push(
        `\n${kind}: first run new=${first.result.run.files_new} failed=${first.result.run.files_failed}; second run skipped=${second.result.files_skipped} bytes=${second.result.bytes}`,
        row(`${kind} baseline walk`, baseline, baseline.result),
        row(`${kind} first sync`, first, FILES),
        row(`${kind} second sync`, second, FILES),
        `${kind} second/first: ${((second.ms / first.ms) * 100).toFixed(1)} %`,
      );
    }
  } finally {
    await sync.close();
    await document.close();
    await database.drop();
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
