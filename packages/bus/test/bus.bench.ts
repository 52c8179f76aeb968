/**
 * Publish→consume throughput and latency through @readur/bus, next to the raw client doing
 * the same with no abstraction, in one run. Loopback brokers only; bounded message count.
 *
 *   pnpm --filter @readur/bus bench --help   (or: node -r tsx/cjs packages/bus/test/bus.bench.ts)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createAmqpBus, createKafkaBus, type Bus } from '@readur/bus';
import { createEnvelope, EVENT, type AnyEnvelope } from '@readur/contracts';
import { createLogger } from '@readur/logger';
import { amqpUrl, kafkaBrokers, uniqueName } from '@readur/testkit';

const HELP = `usage: bus.bench [--messages N] [--window N] [--prefetch N] [--transport amqp|kafka|all]

Two measurements per broker, each for the bus and for the raw client, in one run:
  burst  every message published as fast as the window allows: throughput (latency then
         mostly measures the backlog, so it is printed but not compared)
  paced  messages offered at half the slower burst rate: publish-to-consume latency
         without a backlog

  --messages N   messages per case (default 20000, at most 100000; a few thousand are too
                 few: run-to-run noise then outweighs the difference measured)
  --window N     publishes in flight at once in the burst (default 32)
  --prefetch N   RabbitMQ consumer prefetch, bus and raw alike (default 16, as AMQP_PREFETCH)
  --transport    which broker to measure (default all)
  --help         this text

Brokers: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), KAFKA_BROKERS (default
127.0.0.1:9092; start one with \`bash scripts/kafka.sh start\`).`;

interface Result {
  name: string;
  messages: number;
  seconds: number;
  latenciesMs: number[];
}

/** A case: `start` wires a consumer calling `onMessage(id)`, returns `publish` and `stop`. */
type Case = (onMessage: (id: string) => void) => Promise<{
  publish: (envelope: AnyEnvelope) => Promise<void>;
  stop: () => Promise<void>;
}>;

const logger = createLogger('bench', 'silent');

function envelope(): AnyEnvelope {
  return createEnvelope(EVENT.documentUpdated, {
    document_id: randomUUID(),
    user_id: randomUUID(),
    title: 'benchmark',
    labels: ['a', 'b'],
    changes: ['title'],
    updated_at: new Date().toISOString(),
  });
}

/** Publishes `messages` through `setup`: `window` at a time, or paced at `ratePerSecond`. */
async function measure(
  name: string,
  setup: Case,
  messages: number,
  window: number,
  ratePerSecond?: number,
) {
  const sentAt = new Map<string, bigint>();
  const latenciesMs: number[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { publish, stop } = await setup((id) => {
    const start = sentAt.get(id);
    if (start === undefined) return;
    sentAt.delete(id);
    latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (latenciesMs.length === messages) done();
  });

  const began = process.hrtime.bigint();
  let next = 0;
  const send = async () => {
    const item = envelope();
    sentAt.set(item.id, process.hrtime.bigint());
    await publish(item);
  };
  const worker = async () => {
    while (next < messages) {
      next += 1;
      await send();
    }
  };
  if (ratePerSecond) await paced(send, messages, ratePerSecond);
  else await Promise.all(Array.from({ length: window }, worker));
  await finished;
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  await stop();
  return { name, messages, seconds, latenciesMs } satisfies Result;
}

/** Starts one publish every 1/rate seconds (in 10 ms ticks), not waiting for confirms. */
async function paced(send: () => Promise<void>, messages: number, ratePerSecond: number) {
  const pending: Promise<void>[] = [];
  const started = Date.now();
  while (pending.length < messages) {
    const due = Math.min(messages, Math.floor(((Date.now() - started) / 1000) * ratePerSecond) + 1);
    while (pending.length < due) pending.push(send());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(pending);
}

function viaBus(makeBus: () => Bus): Case {
  return async (onMessage) => {
    const bus = makeBus();
    await bus.subscribe({
      name: uniqueName('bench'),
      events: ['document.updated'],
      handler: (received) => {
        onMessage(received.id);
        return Promise.resolve();
      },
    });
    return { publish: (item) => bus.publish(item), stop: () => bus.close() };
  };
}

/** RabbitMQ consumer prefetch for both cases; set from `--prefetch`. */
let prefetch = 16;

const rawAmqp: Case = async (onMessage) => {
  const exchange = uniqueName('bench_raw');
  const queue = uniqueName('bench_raw');
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, EVENT.documentUpdated);
  const consumer = await connection.createChannel();
  await consumer.prefetch(prefetch);
  await consumer.consume(queue, (message) => {
    if (!message) return;
    const parsed = JSON.parse(message.content.toString()) as { id: string };
    onMessage(parsed.id);
    consumer.ack(message);
  });
  return {
    publish: (item) =>
      new Promise<void>((resolve, reject) => {
        const body = Buffer.from(JSON.stringify(item));
        channel.publish(exchange, item.event, body, { persistent: true }, (error: unknown) =>
          error ? reject(new Error('nacked')) : resolve(),
        );
      }),
    stop: async () => {
      await consumer.deleteQueue(queue);
      await consumer.deleteExchange(exchange);
      await connection.close();
    },
  };
};

const rawKafka: Case = async (onMessage) => {
  const topic = uniqueName('bench_raw');
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueName('bench_raw') });
  await consumer.connect();
  const joined = new Promise<void>((resolve) =>
    consumer.on(consumer.events.GROUP_JOIN, () => resolve()),
  );
  await consumer.subscribe({ topic, fromBeginning: true });
  // Same settings as the bus: one partition at a time.
  await consumer.run({
    eachMessage: ({ message }) => {
      const parsed = JSON.parse(message.value?.toString() ?? '{}') as { id: string };
      onMessage(parsed.id);
      return Promise.resolve();
    },
  });
  await joined;
  return {
    publish: async (item) => {
      const key = item.event === 'document.updated' ? item.data.document_id : item.id;
      await producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(item) }] });
    },
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(result: Result) {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    rate: result.messages / result.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

const row = (name: string, s: ReturnType<typeof summary>) =>
  `${name.padEnd(20)} ${s.rate.toFixed(0).padStart(8)} msg/s  p50 ${s.p50.toFixed(2).padStart(8)} ms  p99 ${s.p99.toFixed(2).padStart(8)} ms`;

function report(
  [burstBus, burstRaw]: [Result, Result],
  [pacedBus, pacedRaw]: [Result, Result],
  rate: number,
): void {
  const [bb, br, pb, pr] = [
    summary(burstBus),
    summary(burstRaw),
    summary(pacedBus),
    summary(pacedRaw),
  ];
  console.log(row(`burst ${burstBus.name}`, bb));
  console.log(row(`burst ${burstRaw.name}`, br));
  console.log(row(`paced ${pacedBus.name}`, pb));
  console.log(row(`paced ${pacedRaw.name}`, pr));
  console.log(
    `bus / raw: burst throughput x${(bb.rate / br.rate).toFixed(2)}; ` +
      `paced (${rate.toFixed(0)} msg/s offered) latency p50 x${(pb.p50 / pr.p50).toFixed(2)}, ` +
      `p99 x${(pb.p99 / pr.p99).toFixed(2)}`,
  );
}

/**
 * Warms both cases up, then measures them in the order bus, raw, raw, bus and keeps each
 * case's better run, so neither side pays for JIT warm-up or a noisy neighbour alone.
 */
async function compare(
  [busName, bus]: [string, Case],
  [rawName, raw]: [string, Case],
  messages: number,
  window: number,
  rate?: number,
): Promise<[Result, Result]> {
  const warmUp = Math.min(messages, 300);
  await measure(busName, bus, warmUp, window);
  await measure(rawName, raw, warmUp, window);

  const busRuns = [await measure(busName, bus, messages, window, rate)];
  const rawRuns = [await measure(rawName, raw, messages, window, rate)];
  rawRuns.push(await measure(rawName, raw, messages, window, rate));
  busRuns.push(await measure(busName, bus, messages, window, rate));
  // Burst: the faster run; paced: the run with the lower median latency.
  const better = (a: Result, b: Result) =>
    rate ? (summary(a).p50 <= summary(b).p50 ? a : b) : a.seconds <= b.seconds ? a : b;
  return [busRuns.reduce(better), rawRuns.reduce(better)];
}

/** Burst first (throughput), then paced at half the slower burst rate (latency). */
async function compareBoth(
  busCase: [string, Case],
  rawCase: [string, Case],
  messages: number,
  window: number,
) {
  const burst = await compare(busCase, rawCase, messages, window);
  const rate = Math.min(...burst.map((result) => summary(result).rate)) / 2;
  const pacedRun = await compare(busCase, rawCase, messages, window, rate);
  report(burst, pacedRun, rate);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '20000' },
      window: { type: 'string', default: '32' },
      prefetch: { type: 'string', default: '16' },
      transport: { type: 'string', default: 'all' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const messages = Math.min(Math.max(Number(values.messages) || 20_000, 1), 100_000);
  const window = Math.max(Number(values.window) || 32, 1);
  prefetch = Math.max(Number(values.prefetch) || 16, 1);
  console.log(`${messages} messages, ${window} publishes in flight, Node ${process.version}`);

  if (values.transport === 'all' || values.transport === 'amqp') {
    const bus = viaBus(() =>
      createAmqpBus(
        { url: amqpUrl(), exchange: uniqueName('bench'), prefetch },
        { service: 'bench', logger },
      ),
    );
    console.log('\nRabbitMQ');
    await compareBoth(['bus (amqp)', bus], ['raw amqplib', rawAmqp], messages, window);
  }
  if (values.transport === 'all' || values.transport === 'kafka') {
    const bus = viaBus(() =>
      createKafkaBus(
        { brokers: kafkaBrokers(), topic: uniqueName('bench') },
        { service: 'bench', logger },
      ),
    );
    console.log('\nKafka');
    await compareBoth(['bus (kafka)', bus], ['raw kafkajs', rawKafka], messages, window);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
