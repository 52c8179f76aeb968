#!/usr/bin/env node
// Webhook delivery benchmark: event-to-delivery latency and deliveries/s through a real
// webhook-dispatcher process (own database, own exchange and queues), next to a bare HTTP
// client posting the same signed bodies to the same local sink in the same run.
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import stackModule from '@readur/stack';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const { createAmqpBus } = require(path.join(root, 'packages/bus/dist/index.js'));
const { createEnvelope } = require(path.join(root, 'packages/contracts/dist/index.js'));
const { createLogger } = require(path.join(root, 'packages/logger/dist/index.js'));
// amqplib comes from the dispatcher's own dependencies (the root has none).
const amqp = createRequire(path.join(root, 'services/webhook-dispatcher/package.json'))('amqplib');
const { spawnService, waitUntilReady, ensureDatabase, dropDatabase, freePort } = stackModule;

const HELP = `Usage: node bench/webhook.bench.mjs [--subscriptions 1,10,100] [--deliveries 3000] [--paced-seconds 5]
                                      [--paced-rate 300]

For each subscription count N (all N webhooks of one user, events ["*"], one local sink):
  burst:  publishes ceil(deliveries/N) document.created events as fast as the broker confirms,
          and reports deliveries/s and event-to-delivery p50/p99 (publish call -> sink receipt);
  paced:  publishes events evenly for --paced-seconds at --paced-rate deliveries/s offered, and reports
          event-to-delivery p50/p99 without a backlog;
  bare:   a plain node:http keep-alive client posts the same number of signed bodies to the same
          sink with the dispatcher's concurrency (8 per endpoint, at most 512): posts/s, p50/p99.
Build first (pnpm run build). Needs PostgreSQL and RabbitMQ.
`;

const { values } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '1,10,100' },
    deliveries: { type: 'string', default: '3000' },
    'paced-seconds': { type: 'string', default: '5' },
    'paced-rate': { type: 'string', default: '300' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const counts = values.subscriptions.split(',').map(Number);
const targetDeliveries = Number(values.deliveries);
const pacedSeconds = Number(values['paced-seconds']);
const pacedRate = Number(values['paced-rate']);
const percentile = (sorted, p) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One HTTP sink for every webhook: records receipt time per (webhook, event id). */
async function startSink() {
  const received = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ at: performance.now(), delivery: req.headers['x-readur-delivery'] });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, port: server.address().port, close: () => server.close() };
}

function summarize(latencies, count, seconds) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    perSecond: count / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

async function waitForCount(sink, count, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (sink.received.length < count) {
    if (Date.now() > deadline) throw new Error(`sink got ${sink.received.length}/${count}`);
    await sleep(20);
  }
}

async function run(bus, sink, userId, events, spacingMs) {
  sink.received.length = 0;
  const publishedAt = new Map();
  const envelopes = Array.from({ length: events }, (_, i) =>
    createEnvelope('document.created', {
      document_id: randomUUID(),
      user_id: userId,
      title: `Bench document ${i}`,
      filename: `bench-${i}.txt`,
      file_size: 100,
      mime_type: 'text/plain',
      file_hash: 'b'.repeat(64),
      labels: ['bench'],
      created_at: new Date().toISOString(),
    }),
  );
  const started = performance.now();
  for (const [i, envelope] of envelopes.entries()) {
    if (spacingMs > 0) {
      const due = started + i * spacingMs;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    publishedAt.set(envelope.id, performance.now());
    await bus.publish(envelope);
  }
  return { publishedAt, started, envelopes };
}

async function measureDispatcher(bus, sink, userId, subscriptions, events, spacingMs) {
  const { publishedAt, started } = await run(bus, sink, userId, events, spacingMs);
  const expected = events * subscriptions;
  await waitForCount(sink, expected);
  const latencies = sink.received.map((entry) => entry.at - publishedAt.get(entry.delivery));
  const last = Math.max(...sink.received.map((entry) => entry.at));
  return summarize(latencies, expected, (last - started) / 1000);
}

async function measureBare(sink, subscriptions, count, body) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const secret = 'whsec_bench';
  const concurrency = Math.min(8 * subscriptions, 512);
  const latencies = [];
  let next = 0;
  const post = (i) =>
    new Promise((resolve, reject) => {
      const bytes = Buffer.from(body.replace('WEBHOOK', `whk_${i % subscriptions}`));
      const req = http.request(
        {
          host: '127.0.0.1',
          port: sink.port,
          path: `/hook/${i % subscriptions}`,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': bytes.length,
            'x-readur-delivery': randomUUID(),
            'x-readur-signature': `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(bytes);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const begin = performance.now();
        await post(next);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return summarize(latencies, count, seconds);
}

async function createWebhooks(baseUrl, headers, port, subscriptions) {
  for (let i = 0; i < subscriptions; i += 1) {
    const res = await fetch(`${baseUrl}/api/webhooks`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook/${i}`, events: ['*'] }),
    });
    if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  }
}

async function main() {
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/webhook_bench_${suffix}`;
  const exchange = `webhook-bench-${suffix}`;
  const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const token = 'webhook-bench-internal-token-0123';
  await ensureDatabase(databaseUrl);
  const sink = await startSink();
  const port = await freePort();
  const dispatcher = spawnService(
    'webhook-dispatcher',
    path.join(root, 'services/webhook-dispatcher/dist/main.js'),
    {
      DATABASE_URL: databaseUrl,
      INTERNAL_API_TOKEN: token,
      WEBHOOK_ENCRYPTION_KEY: 'webhook-bench-encryption-key-0123456789',
      PORT: String(port),
      PROMETHEUS_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      AMQP_URL: amqpUrl,
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUE: exchange,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_ALLOW_HTTP: 'true',
    },
    `http://127.0.0.1:${port}`,
    (name, line) => process.stderr.write(`[${name}] ${line}\n`),
  );
  const bus = createAmqpBus(
    { url: amqpUrl, exchange, prefetch: 16 },
    { service: 'webhook-bench', logger: createLogger('webhook-bench', 'silent') },
  );
  const rows = [];
  try {
    await waitUntilReady(dispatcher, '/api/health/ready');
    let created = 0;
    for (const subscriptions of counts) {
      const userId = randomUUID();
      const headers = { 'x-internal-token': token, 'x-user-id': userId, 'x-user-role': 'user' };
      await createWebhooks(`http://127.0.0.1:${port}`, headers, sink.port, subscriptions);
      created += subscriptions;

      const events = Math.ceil(targetDeliveries / subscriptions);
      await measureDispatcher(bus, sink, userId, subscriptions, Math.min(events, 20), 0); // warm-up
      const burst = await measureDispatcher(bus, sink, userId, subscriptions, events, 0);
      const pacedEvents = Math.max(1, Math.round((pacedRate / subscriptions) * pacedSeconds));
      const spacing = (pacedSeconds * 1000) / pacedEvents;
      const paced = await measureDispatcher(bus, sink, userId, subscriptions, pacedEvents, spacing);
      const body = JSON.stringify({
        event: 'document.created',
        timestamp: new Date().toISOString(),
        webhook_id: 'WEBHOOK',
        data: { document_id: randomUUID(), user_id: userId, title: 'Bench document 1' },
      });
      const bare = await measureBare(sink, subscriptions, events * subscriptions, body);
      rows.push({ subscriptions, deliveries: events * subscriptions, burst, paced, bare });
      process.stderr.write(`done: ${subscriptions} subscription(s), ${created} webhooks in all\n`);
    }
  } finally {
    await bus.close();
    await dispatcher.stop(10_000);
    sink.close();
    await dropDatabase(databaseUrl).catch(() => undefined);
    const connection = await amqp.connect(amqpUrl);
    const channel = await connection.createChannel();
    const queue = `${exchange}.webhook-dispatcher`;
    for (const name of [
      queue,
      `${queue}.dlq`,
      ...[1000, 5000, 30000].map((ms) => `${queue}.retry.${ms}ms`),
    ]) {
      await channel.deleteQueue(name).catch(() => undefined);
    }
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close();
  }

  const f = (n) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : '-');
  const lines = [
    `| subscriptions | deliveries | dispatcher burst: deliveries/s | burst p50 / p99 ms | paced (${pacedRate}/s offered) p50 / p99 ms | bare client: posts/s | bare p50 / p99 ms | dispatcher ÷ bare |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.subscriptions} | ${row.deliveries} | ${f(row.burst.perSecond)} | ${f(row.burst.p50)} / ${f(row.burst.p99)} | ${f(row.paced.p50)} / ${f(row.paced.p99)} | ${f(row.bare.perSecond)} | ${f(row.bare.p50)} / ${f(row.bare.p99)} | ${(row.burst.perSecond / row.bare.perSecond).toFixed(2)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
