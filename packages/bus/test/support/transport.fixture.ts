import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  amqpQueueNames,
  createAmqpBus,
  createKafkaBus,
  kafkaDeadLetterTopic,
  type AmqpOptions,
  type Bus,
  type KafkaOptions,
  type Transport,
} from '@readur/bus';
import { createLogger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';
import { amqpUrl, kafkaBrokers, uniqueName, waitFor } from '@readur/testkit';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../../../..');
const logger = createLogger('bus-test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** A message found in a dead-letter queue or topic. */
export interface DeadLetter {
  body: string;
  reason: string;
}

/** A broker the test may stop and start; `options` point a bus at it. */
export interface RestartableBroker {
  amqp?: AmqpOptions;
  kafka?: KafkaOptions;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** How a test's bus differs from the default one. */
export interface BusOptions {
  publishTimeoutMs?: number;
  broker?: RestartableBroker;
  metrics?: Metrics;
  lagIntervalMs?: number;
}

/** What the contract suite needs from one transport; every name is unique to this run. */
export interface TransportFixture {
  transport: Transport;
  /** Fails, with what to do, when the broker does not answer. */
  assertReachable(): Promise<void>;
  createBus(options?: BusOptions): Bus;
  /** Publishes bytes the way a foreign or broken publisher would. */
  publishRaw(event: string, body: Buffer): Promise<void>;
  deadLetters(subscription: string): Promise<DeadLetter[]>;
  /** Settings for a child process that consumes from the same place. */
  childSettings(): { amqp?: AmqpOptions; kafka?: KafkaOptions };
  restartableBroker(): Promise<RestartableBroker>;
  /** The RabbitMQ queues or Kafka groups a transient subscription named `subscription` has now. */
  transientNames(subscription: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

const KAFKA_SESSION_MS = 6_000;

/** RabbitMQ at AMQP_URL, with a throwaway exchange; `restart` is `rabbitmqctl stop_app/start_app`. */
export function amqpFixture(): TransportFixture {
  const options: AmqpOptions = {
    url: amqpUrl(),
    exchange: uniqueName('readur_events'),
    prefetch: 8,
  };
  const buses: Bus[] = [];
  const deadLetters = new Map<string, DeadLetter[]>();
  let connection: amqp.ChannelModel | undefined;
  const channel = async () => {
    if (!connection) {
      const opened = await amqp.connect(options.url);
      // rabbitmqctl stop_app closes it; the next call opens another.
      opened.on('error', () => undefined);
      opened.once('close', () => (connection = undefined));
      connection = opened;
    }
    return connection.createChannel();
  };

  return {
    transport: 'amqp',
    async assertReachable() {
      const bus = createAmqpBus(options, { service: 'bus-test', logger });
      try {
        await bus.check();
      } catch (error) {
        throw new Error(`RabbitMQ is not reachable at ${options.url}: ${String(error)}`);
      } finally {
        await bus.close();
      }
    },
    createBus({ broker, ...deps } = {}) {
      const bus = createAmqpBus(broker?.amqp ?? options, {
        service: 'bus-test',
        logger,
        ...deps,
      });
      buses.push(bus);
      return bus;
    },
    async publishRaw(event, body) {
      const ch = await channel();
      await ch.assertExchange(options.exchange, 'topic', { durable: true });
      ch.publish(options.exchange, event, body, { persistent: true });
      await ch.close();
    },
    async deadLetters(subscription) {
      const found = deadLetters.get(subscription) ?? [];
      deadLetters.set(subscription, found);
      const ch = await channel();
      for (;;) {
        const message = await ch.get(amqpQueueNames(subscription).deadLetter, { noAck: true });
        if (!message) break;
        const headers = message.properties.headers ?? {};
        found.push({
          body: message.content.toString(),
          reason: String(headers['x-dead-letter-reason']),
        });
      }
      await ch.close();
      return found;
    },
    childSettings: () => ({ amqp: options }),
    restartableBroker: () =>
      Promise.resolve({
        amqp: options,
        restart: restartRabbitMq,
        dispose: () => Promise.resolve(),
      }),
    async transientNames(subscription) {
      const { stdout } = await run('rabbitmqctl', [
        'list_queues',
        '-q',
        '--no-table-headers',
        'name',
      ]);
      return stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((queue) => queue.startsWith(`${subscription}.`));
    },
    async cleanup() {
      await Promise.all(buses.map((bus) => bus.close()));
      await deleteAmqpTopology(options, channel);
      await connection?.close().catch(() => undefined);
    },
  };
}

async function deleteAmqpTopology(
  options: AmqpOptions,
  channel: () => Promise<amqp.Channel>,
): Promise<void> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name']);
  const ch = await channel();
  for (const queue of stdout.split('\n').map((line) => line.trim())) {
    // Only the queues of subscriptions this run named (see subscriptionName).
    if (queue && ownQueues.has(queue.replace(/\.(dlq|retry\.\d+ms)$/, ''))) {
      await ch.deleteQueue(queue).catch(() => undefined);
    }
  }
  await ch.deleteExchange(options.exchange).catch(() => undefined);
  await ch.close().catch(() => undefined);
}

const ownQueues = new Set<string>();

/** A subscription name unique to this run, remembered so its queues are deleted afterwards. */
export function subscriptionName(prefix: string): string {
  const name = uniqueName(prefix);
  ownQueues.add(name);
  return name;
}

async function restartRabbitMq(): Promise<void> {
  try {
    await run('rabbitmqctl', ['stop_app']);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    await run('rabbitmqctl', ['start_app']);
    await run('rabbitmqctl', ['await_startup']);
  }
}

/** Kafka at KAFKA_BROKERS with a throwaway topic; `restart` runs a broker of its own. */
export function kafkaFixture(): TransportFixture {
  const options: KafkaOptions = {
    brokers: kafkaBrokers(),
    topic: uniqueName('readur_events'),
    sessionTimeoutMs: KAFKA_SESSION_MS,
  };
  const buses: Bus[] = [];
  const kafka = new Kafka({
    clientId: 'bus-test',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  let producing: Promise<void> | undefined;
  let dlqConsumer: Consumer | undefined;
  const deadLetters: (DeadLetter & { subscription: string })[] = [];

  async function startDeadLetterReader(): Promise<void> {
    dlqConsumer = kafka.consumer({ groupId: uniqueName('dlq_reader') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({
      topic: kafkaDeadLetterTopic(options.topic),
      fromBeginning: true,
    });
    await dlqConsumer.run({
      eachMessage: ({ message }) => {
        const header = (name: string) => message.headers?.[name]?.toString() ?? '';
        deadLetters.push({
          subscription: header('x-subscription'),
          reason: header('x-dead-letter-reason'),
          body: message.value?.toString() ?? '',
        });
        return Promise.resolve();
      },
    });
  }

  return {
    transport: 'kafka',
    async assertReachable() {
      const admin = kafka.admin({ retry: { retries: 1 } });
      try {
        await admin.connect();
        await admin.describeCluster();
      } catch (error) {
        throw new Error(
          `Kafka is not reachable at ${options.brokers.join(',')} (${String(error)}). ` +
            'Start it with `bash scripts/kafka.sh start`, or point KAFKA_BROKERS at a broker.',
        );
      } finally {
        await admin.disconnect();
      }
    },
    createBus({ broker, ...deps } = {}) {
      const bus = createKafkaBus(broker?.kafka ?? options, {
        service: 'bus-test',
        logger,
        ...deps,
      });
      buses.push(bus);
      return bus;
    },
    async publishRaw(event, body) {
      producing ??= producer.connect();
      await producing;
      await producer.send({
        topic: options.topic,
        messages: [{ key: 'raw', value: body, headers: { 'x-event': event } }],
      });
    },
    async deadLetters(subscription) {
      if (!dlqConsumer) await startDeadLetterReader();
      return deadLetters.filter((letter) => letter.subscription === subscription);
    },
    childSettings: () => ({ kafka: options }),
    restartableBroker: () => startOwnKafka(options.topic),
    async transientNames(subscription) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.listGroups();
        return groups
          .map((group) => group.groupId)
          .filter((group) => group.startsWith(`${subscription}.`));
      } finally {
        await admin.disconnect();
      }
    },
    async cleanup() {
      await Promise.all(buses.map((bus) => bus.close()));
      await dlqConsumer?.disconnect();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [options.topic, kafkaDeadLetterTopic(options.topic)] })
        .catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** A second Kafka broker on free ports, in a temporary directory, run by scripts/kafka.sh. */
async function startOwnKafka(topic: string): Promise<RestartableBroker> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const stateDir = await mkdtemp(path.join(tmpdir(), 'readur-kafka-'));
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_STATE_DIR: stateDir,
  };
  const script = (command: string) =>
    run('bash', [path.join(repoRoot, 'scripts/kafka.sh'), command], { env, timeout: 120_000 });

  await script('start');
  return {
    kafka: { brokers: [`127.0.0.1:${port}`], topic, sessionTimeoutMs: KAFKA_SESSION_MS },
    async restart() {
      await script('stop');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await script('start');
    },
    async dispose() {
      await script('stop');
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Waits until every id in `expected` is in `seen`. */
export function waitForAll(seen: Set<string>, expected: string[], timeoutMs = 30_000) {
  return waitFor(() => expected.every((id) => seen.has(id)), {
    timeoutMs,
    description: `${expected.length} events (seen ${seen.size})`,
  });
}
