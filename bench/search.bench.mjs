#!/usr/bin/env node
// Search latency at scale: builds a synthetic corpus in a fresh database, starts the document
// service in-process on it, and times a fixed query mix three ways in the same run.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const HELP = `Usage: node bench/search.bench.mjs [--documents 100000] [--users 10] [--runs 40]
                                    [--words-per-document 520] [--keep] [--reuse <database>]
                                    [--kinds <kind,kind>] [--previous <dir>]

Builds <documents> documents of <words-per-document> Zipf-distributed words each from a
50 000-word vocabulary (520 words make about 4 KB of text: 4.1 kB on average; the build prints
the real figure), 90 % English, 10 % German OCR language, for <users> users in a fresh
database (bulk multi-row INSERT through the indexing trigger, GIN built after the load), starts
the document service on it, then runs every query kind <runs> times as a random user and prints
p50/p95/p99 in ms for:
  baseline  the plain query: websearch_to_tsquery + ts_rank_cd over the GIN index, top 20
            plus count (what a plain PostgreSQL GIN setup does)
  sql       the service's own SQL (search repository + snippets), called directly
  http      GET /api/search on the document service (JSON, trust headers; no gateway)
and the time to index one new document of the same size (UPDATE of ocr_text through the
triggers). Then the HTTP p50/p95/p99 over the pooled samples of the whole mix, the worst
per-kind HTTP p95, and per kind the HTTP/service-SQL and HTTP/baseline ratios at p50 and p95.
Build first (pnpm run build). Needs PostgreSQL and RabbitMQ. The database is dropped at the
end unless --keep. --reuse <database> skips the build and measures a database an earlier
--keep run left (its words and users are read from its bench_meta table; the service's newer
migrations run on it first); a reused database is kept. --kinds runs only the query kinds
whose names contain one of the given comma-separated strings. --previous <dir> also times,
interleaved with the others, the service SQL of an earlier build: <dir> holds its compiled
services/document/dist (e.g. transpiled from git archive <commit> services/document/src).
`;

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '100000' },
    users: { type: 'string', default: '10' },
    runs: { type: 'string', default: '40' },
    'words-per-document': { type: 'string', default: '520' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    kinds: { type: 'string' },
    previous: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireDocument = createRequire(path.join(ROOT, 'services/document/package.json'));
const knexFactory = requireDocument('knex');
const documentService = requireDocument('./dist/index.js');
const { searchRepository } = requireDocument('./dist/data/search.repository.js');
const { snippetRepository } = requireDocument('./dist/data/snippet.repository.js');
const { parseQuery } = requireDocument('./dist/domain/search.query.js');
const { createDatabase } = requireDocument('./dist/data/database.js');
const previous = values.previous
  ? {
      ...requireDocument(path.resolve(values.previous, 'dist/data/search.repository.js')),
      ...requireDocument(path.resolve(values.previous, 'dist/data/snippet.repository.js')),
      ...requireDocument(path.resolve(values.previous, 'dist/domain/search.query.js')),
    }
  : undefined;

const DOCUMENTS = Number(values.documents);
const USERS = Number(values.users);
const RUNS = Number(values.runs);
const WORDS = Number(values['words-per-document']);
const VOCABULARY = 50_000;
const TOKEN = 'bench-internal-token-0123456789';
const SERVER = process.env.PG_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = values.reuse ?? `readur_search_bench_${process.pid}`;

// ---- corpus -------------------------------------------------------------------------------

/** A deterministic PRNG, so two runs build the same corpus. */
function mulberry32(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);

/** Pronounceable words, distinct, 3–11 letters: consonant/vowel syllables. */
function makeVocabulary(size) {
  const consonants = 'bcdfghjklmnprstvwz';
  const vowels = 'aeiou';
  const words = new Set();
  while (words.size < size) {
    const syllables = 1 + Math.floor(random() * 4);
    let word = '';
    for (let i = 0; i < syllables; i += 1) {
      word += consonants[Math.floor(random() * consonants.length)];
      word += vowels[Math.floor(random() * vowels.length)];
      if (random() < 0.4) word += consonants[Math.floor(random() * consonants.length)];
    }
    if (word.length >= 3) words.add(word);
  }
  return [...words];
}

/** Zipf (s = 1.07) cumulative distribution over ranks. */
function zipfCdf(size, s = 1.07) {
  const cdf = new Float64Array(size);
  let sum = 0;
  for (let rank = 1; rank <= size; rank += 1) {
    sum += 1 / rank ** s;
    cdf[rank - 1] = sum;
  }
  for (let i = 0; i < size; i += 1) cdf[i] /= sum;
  return cdf;
}

function sampleRank(cdf) {
  const target = random();
  let low = 0;
  let high = cdf.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (cdf[mid] < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

const vocabulary = makeVocabulary(VOCABULARY);
const cdf = zipfCdf(VOCABULARY);
const documentFrequency = new Uint32Array(VOCABULARY);

function documentText() {
  const seen = new Set();
  const words = [];
  for (let i = 0; i < WORDS; i += 1) {
    const rank = sampleRank(cdf);
    seen.add(rank);
    words.push(vocabulary[rank]);
    if (i % 14 === 13) words.push('.\n');
  }
  for (const rank of seen) documentFrequency[rank] += 1;
  return words.join(' ');
}

// ---- load ---------------------------------------------------------------------------------

let users = Array.from({ length: USERS }, () => randomUUID());
const MIME = ['application/pdf', 'image/png', 'text/plain', 'image/jpeg'];

function row(index) {
  const id = randomUUID();
  const text = documentText();
  const title = `${vocabulary[sampleRank(cdf)]} ${vocabulary[sampleRank(cdf)]} ${index}`;
  const created = new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 5 * 365) * 86_400_000);
  return {
    document: {
      id,
      user_id: users[index % USERS],
      title,
      filename: `scan-${index}.pdf`,
      original_filename: `scan-${index}.pdf`,
      storage_key: `bench/${id}`,
      mime_type: MIME[Math.floor(index / USERS) % MIME.length],
      file_size: 10_000 + Math.floor(random() * 5_000_000),
      file_hash: id.replaceAll('-', '').padEnd(64, '0'),
      ocr_status: 'completed',
      ocr_text: text,
      ocr_language: random() < 0.9 ? 'eng' : 'deu',
      page_count: 1,
      created_at: created,
    },
    page: { document_id: id, page: 1, text, confidence: 90, method: 'text-layer' },
  };
}

async function load(knex) {
  const started = performance.now();
  // every GIN over the vectors is built after the load, in one pass each
  const searchIndexes = (
    await knex.raw(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE tablename = 'documents' AND indexdef LIKE '%USING gin%'
         AND (indexdef LIKE '%search_vector%' OR indexname = 'documents_search_title_idx')`,
    )
  ).rows;
  for (const index of searchIndexes) await knex.raw(`DROP INDEX ${index.indexname}`);
  for (const trigger of [
    'documents_search_words',
    'documents_search_generation_insert',
    'documents_search_generation_update',
  ]) {
    await knex.raw(`ALTER TABLE documents DISABLE TRIGGER ${trigger}`);
  }

  const BATCH = 250;
  let next = 0;
  const worker = async () => {
    while (next < DOCUMENTS) {
      const from = next;
      next += BATCH;
      const rows = [];
      for (let i = from; i < Math.min(from + BATCH, DOCUMENTS); i += 1) rows.push(row(i));
      await knex('documents').insert(rows.map((entry) => entry.document));
      await knex('document_pages').insert(rows.map((entry) => entry.page));
      if ((from / BATCH) % 20 === 0) {
        process.stdout.write(`  loaded ${from + rows.length}/${DOCUMENTS} documents\n`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  const loadedMs = performance.now() - started;

  const indexStarted = performance.now();
  await knex.raw("SET maintenance_work_mem = '512MB'");
  for (const index of searchIndexes) await knex.raw(index.indexdef);
  const ginMs = performance.now() - indexStarted;

  const wordsStarted = performance.now();
  await knex.raw(`
    INSERT INTO search_words (user_id, word)
    SELECT DISTINCT user_id, lexeme FROM documents, unnest(tsvector_to_array(search_vector)) AS lexeme
    WHERE length(lexeme) BETWEEN 3 AND 40 ON CONFLICT DO NOTHING`);
  const wordsMs = performance.now() - wordsStarted;
  for (const trigger of [
    'documents_search_words',
    'documents_search_generation_insert',
    'documents_search_generation_update',
  ]) {
    await knex.raw(`ALTER TABLE documents ENABLE TRIGGER ${trigger}`);
  }
  await knex.raw('VACUUM ANALYZE documents');
  await knex.raw('VACUUM ANALYZE document_pages');
  await knex.raw('VACUUM ANALYZE search_words');
  const size = await knex.raw(
    `SELECT pg_size_pretty(pg_database_size(current_database())) AS db,
            pg_size_pretty(pg_relation_size('documents_search_idx')) AS gin,
            t.characters, t.mean_bytes
     FROM (SELECT sum(length(ocr_text)) AS characters,
                  round(avg(octet_length(ocr_text))) AS mean_bytes FROM documents) AS t`,
  );
  return { loadedMs, ginMs, wordsMs, ...size.rows[0] };
}

// ---- queries ------------------------------------------------------------------------------

/** Vocabulary words by how many generated documents hold them. */
function wordsByFrequency() {
  const withDf = vocabulary.map((word, rank) => ({ word, df: documentFrequency[rank] }));
  const near = (share, candidates = withDf) =>
    candidates.reduce((best, entry) =>
      Math.abs(entry.df / DOCUMENTS - share) < Math.abs(best.df / DOCUMENTS - share) ? entry : best,
    );
  return {
    rare: withDf.find((entry) => entry.df >= 5 && entry.df <= 20) ?? near(0.0001),
    quarter: near(0.25),
    every: near(1),
    tenth: near(0.1),
    tenthLong: near(
      0.1,
      withDf.filter((entry) => entry.word.length >= 7),
    ),
    third: near(0.33),
  };
}

function queryMix(words) {
  // one letter in the middle replaced: the commonest typo
  const typo = (word) => {
    const middle = Math.floor(word.length / 2);
    return word.slice(0, middle) + (word[middle] === 'x' ? 'q' : 'x') + word.slice(middle + 1);
  };
  return [
    { kind: 'rare word', q: words.rare.word },
    { kind: 'quarter word', q: words.quarter.word },
    { kind: 'every-document word', q: words.every.word },
    { kind: 'two words', q: `${words.tenth.word} ${words.third.word}` },
    { kind: 'phrase', q: `"${words.every.word} ${words.quarter.word}"` },
    { kind: 'prefix', q: `${words.quarter.word.slice(0, 4)}*` },
    { kind: 'fuzzy', q: typo(words.tenthLong.word), mode: 'fuzzy' },
    {
      kind: 'quarter word + filters',
      q: words.quarter.word,
      filters: { mime_type: 'application/pdf', created_from: '2022-01-01' },
    },
    {
      kind: 'every word + filters',
      q: words.every.word,
      filters: { mime_type: 'application/pdf', created_from: '2022-01-01' },
    },
  ];
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

async function timed(action) {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

async function baseline(knex, userId, q) {
  await Promise.all([
    knex.raw(
      `SELECT d.id, ts_rank_cd(d.search_vector, q) AS rank
       FROM documents d, websearch_to_tsquery('readur_english', ?) AS q
       WHERE d.user_id = ? AND d.search_vector @@ q
       ORDER BY rank DESC LIMIT 20`,
      [q, userId],
    ),
    knex.raw(
      `SELECT count(*) FROM documents d, websearch_to_tsquery('readur_english', ?) AS q
       WHERE d.user_id = ? AND d.search_vector @@ q`,
      [q, userId],
    ),
  ]);
}

function filtersOf(filters = {}) {
  return {
    mimeTypes: filters.mime_type ? [filters.mime_type] : undefined,
    createdFrom: filters.created_from ? new Date(filters.created_from) : undefined,
  };
}

async function serviceSql(
  knex,
  userId,
  entry,
  code = { searchRepository, snippetRepository, parseQuery },
) {
  const { searchRepository, snippetRepository, parseQuery } = code;
  const mode = entry.mode ?? 'web';
  const parsed = parseQuery(entry.q, mode);
  const scope = { userId };
  let match = { tree: parsed.tree, cjk: parsed.cjk };
  if (mode === 'fuzzy') {
    const expansion = await searchRepository.fuzzyExpansion(
      knex,
      scope,
      parsed.words,
      entry.q,
      0.3,
    );
    const nodes = parsed.words.map((text, index) => ({
      kind: 'or',
      nodes: [
        { kind: 'term', text, prefix: false },
        ...(expansion.lexemes[index] ?? []).map((lexeme) => ({ kind: 'lexeme', text: lexeme })),
      ],
    }));
    match = {
      tree: nodes.length === 1 ? nodes[0] : { kind: 'and', nodes },
      cjk: [],
      titleMatches: expansion.titleMatches,
    };
  }
  const page = await searchRepository.search(knex, scope, match, filtersOf(entry.filters), {
    limit: 20,
    offset: 0,
  });
  const ids = page.hits.map((hit) => hit.document.id);
  await Promise.all([
    // an earlier build (--previous) takes the query tree, this one the texts the page matched
    snippetRepository.headlines(knex, ids, page.texts ?? match.tree),
    snippetRepository.substringWindows(knex, ids, match.cjk),
  ]);
  return page.total;
}

async function http(base, userId, entry) {
  const params = new URLSearchParams({ q: entry.q, limit: '20', ...(entry.filters ?? {}) });
  if (entry.mode) params.set('mode', entry.mode);
  const response = await fetch(`${base}/api/search?${params}`, {
    headers: { 'X-Internal-Token': TOKEN, 'X-User-Id': userId, 'X-User-Role': 'user' },
  });
  if (response.status !== 200)
    throw new Error(`search ${response.status}: ${await response.text()}`);
  return (await response.json()).total;
}

async function measure(knex, serviceKnex, base, mix) {
  const results = [];
  for (const entry of mix) {
    const samples = { baseline: [], sql: [], http: [], ...(previous ? { previous: [] } : {}) };
    const totals = [];
    // one warm-up of each path, then interleaved runs so cache state is shared fairly
    await baseline(knex, users[0], entry.q);
    await serviceSql(serviceKnex, users[0], entry);
    await http(base, users[0], entry);
    if (previous) await serviceSql(serviceKnex, users[0], entry, previous);
    for (let run = 0; run < RUNS; run += 1) {
      const userId = users[run % USERS];
      samples.baseline.push(await timed(() => baseline(knex, userId, entry.q)));
      samples.sql.push(
        await timed(async () => totals.push(await serviceSql(serviceKnex, userId, entry))),
      );
      samples.http.push(await timed(() => http(base, userId, entry)));
      if (previous)
        samples.previous.push(await timed(() => serviceSql(serviceKnex, userId, entry, previous)));
    }
    const total = Math.round(totals.reduce((sum, value) => sum + value, 0) / totals.length);
    results.push({
      ...entry,
      total,
      samples,
      ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)])),
    });
    const last = results.at(-1);
    process.stdout.write(
      `  ${entry.kind.padEnd(24)} hits/user ${String(total).padStart(6)}  ` +
        `baseline p50 ${last.baseline.p50.toFixed(1)}  sql p50 ${last.sql.p50.toFixed(1)}  ` +
        `http p50 ${last.http.p50.toFixed(1)}` +
        (previous ? `  previous sql p50 ${last.previous.p50.toFixed(1)}` : '') +
        ' ms\n',
    );
  }
  return results;
}

async function indexingTime(knex) {
  const ids = (await knex('documents').select('id').limit(RUNS)).map((entry) => entry.id);
  const samples = [];
  let bytes = 0;
  for (const id of ids) {
    const text = documentText();
    bytes += Buffer.byteLength(text);
    samples.push(
      await timed(() =>
        knex.transaction(async (trx) => {
          await trx('document_pages').where({ document_id: id }).update({ text });
          await trx('documents').where({ id }).update({ ocr_text: text, ocr_language: 'eng' });
        }),
      ),
    );
  }
  return { ...summary(samples), meanBytes: Math.round(bytes / ids.length) };
}

/** The whole mix pooled (every kind has <runs> samples, so each weighs the same). */
function mixSummary(results) {
  const pooled = summary(results.flatMap((r) => r.samples.http));
  const worst = results.reduce((a, b) => (b.http.p95 > a.http.p95 ? b : a));
  const ratio = (a, b) => (a / b).toFixed(2);
  const ratios = results.map(
    (r) =>
      `  ${r.kind.padEnd(24)} HTTP/service SQL p50 ${ratio(r.http.p50, r.sql.p50)} ` +
      `p95 ${ratio(r.http.p95, r.sql.p95)}   HTTP/baseline p50 ${ratio(r.http.p50, r.baseline.p50)} ` +
      `p95 ${ratio(r.http.p95, r.baseline.p95)}`,
  );
  return [
    `whole mix HTTP (${results.length} kinds × ${RUNS} runs pooled): p50 ${pooled.p50.toFixed(1)} ` +
      `/ p95 ${pooled.p95.toFixed(1)} / p99 ${pooled.p99.toFixed(1)} ms`,
    `worst per-kind HTTP p95: ${worst.http.p95.toFixed(1)} ms (${worst.kind})`,
    'ratios per kind:',
    ...ratios,
  ].join('\n');
}

// ---- main ---------------------------------------------------------------------------------

/** Removes the exchange and the durable queues the in-process service declared. */
async function deleteTopology(exchange) {
  const amqp = requireDocument('amqplib');
  const connection = await amqp.connect(
    process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  );
  const channel = await connection.createChannel();
  const queue = `${exchange}.document`;
  for (const name of [
    queue,
    `${queue}.dlq`,
    ...[1000, 5000, 30000].map((ms) => `${queue}.retry.${ms}ms`),
  ]) {
    await channel.deleteQueue(name);
  }
  await channel.deleteExchange(exchange);
  await connection.close();
}

function table(results) {
  const cell = (s) => `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)}`;
  const lines = [
    '| query kind | hits per user | baseline SQL p50/p95/p99 ms | service SQL p50/p95/p99 ms | HTTP p50/p95/p99 ms |' +
      (previous ? ' previous service SQL p50/p95/p99 ms |' : ''),
    '|---|---|---|---|---|' + (previous ? '---|' : ''),
  ];
  for (const r of results) {
    lines.push(
      `| ${r.kind} | ${r.total} | ${cell(r.baseline)} | ${cell(r.sql)} | ${cell(r.http)} |` +
        (r.previous ? ` ${cell(r.previous)} |` : ''),
    );
  }
  return lines.join('\n');
}

async function build(knex) {
  process.stdout.write(
    `building ${DOCUMENTS} documents × ~${WORDS} words for ${USERS} users in ${DATABASE}\n`,
  );
  const built = await load(knex);
  const words = wordsByFrequency();
  process.stdout.write(
    `loaded in ${(built.loadedMs / 1000).toFixed(1)} s (trigger-built vectors), GIN in ` +
      `${(built.ginMs / 1000).toFixed(1)} s, search_words in ${(built.wordsMs / 1000).toFixed(1)} s; ` +
      `${(Number(built.characters) / 1e6).toFixed(0)} M characters (${built.mean_bytes} bytes per ` +
      `document on average), database ${built.db}, GIN ${built.gin}\n`,
  );
  await knex.raw('CREATE TABLE bench_meta (words jsonb NOT NULL, users jsonb NOT NULL)');
  await knex('bench_meta').insert({ words: JSON.stringify(words), users: JSON.stringify(users) });
  return words;
}

/** The words and users a kept database was built with. */
async function readMeta(knex) {
  const meta = await knex('bench_meta').first();
  users = meta.users;
  process.stdout.write(`reusing ${DATABASE} (${users.length} users)\n`);
  return meta.words;
}

async function main() {
  if (!values.reuse) {
    const admin = knexFactory({ client: 'pg', connection: SERVER, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${DATABASE}`);
    await admin.destroy();
  }
  const url = `${SERVER}/${DATABASE}`;

  const exchange = `search-bench-${process.pid}`;
  const service = await documentService.startDocumentService(
    documentService.loadDocumentConfig({
      DATABASE_URL: url,
      INTERNAL_API_TOKEN: TOKEN,
      PORT: '0',
      PROMETHEUS_ENABLED: 'false',
      LOG_LEVEL: 'error',
      STORAGE_PATH: path.join(os.tmpdir(), `readur-search-bench-${process.pid}`),
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUE: exchange,
    }),
  );
  const base = `http://127.0.0.1:${service.port}`;
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 4 } });
  // the service's own pool (its session settings) for the service SQL; the baseline keeps
  // PostgreSQL's defaults
  const serviceKnex = createDatabase(url);

  try {
    const words = values.reuse ? await readMeta(knex) : await build(knex);
    process.stdout.write(
      `words: rare "${words.rare.word}" in ${words.rare.df} documents, quarter "${words.quarter.word}" ` +
        `in ${words.quarter.df}, every "${words.every.word}" in ${words.every.df}\n\n`,
    );

    const kinds = values.kinds?.split(',');
    const mix = queryMix(words).filter(
      (entry) => !kinds || kinds.some((kind) => entry.kind.includes(kind)),
    );
    const results = await measure(knex, serviceKnex, base, mix);
    const indexing = await indexingTime(knex);
    process.stdout.write(`\n${table(results)}\n\n`);
    process.stdout.write(
      `indexing one new ${indexing.meanBytes}-byte document (page + text through the triggers): ` +
        `p50 ${indexing.p50.toFixed(1)} / p95 ${indexing.p95.toFixed(1)} / p99 ${indexing.p99.toFixed(1)} ms\n`,
    );
    process.stdout.write(`${mixSummary(results)}\n`);
  } finally {
    await knex.destroy();
    await serviceKnex.destroy();
    await service.close();
    await deleteTopology(exchange);
    if (!values.keep && !values.reuse) {
      const cleanup = knexFactory({ client: 'pg', connection: SERVER, pool: { min: 0, max: 1 } });
      await cleanup.raw(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      await cleanup.destroy();
    } else {
      process.stdout.write(`kept database ${DATABASE}\n`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
