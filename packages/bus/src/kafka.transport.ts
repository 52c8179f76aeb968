import { randomBytes } from 'node:crypto';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { aggregateKey, type AnyEnvelope } from '@readur/contracts';
import { currentCorrelationId, type Logger } from '@readur/logger';
import { validateSubscription } from './amqp.transport';
import { BusError } from './bus.error';
import type { Bus, BusDeps, Subscription } from './bus.types';
import { DEFAULT_LAG_INTERVAL_MS, startLagSampler, type LagSampler } from './lag.sampler';
import { consumeMessage, HEADER, InFlight, sleep, withTimeout } from './message.consumer';

/** The Kafka settings the transport reads. */
export interface KafkaOptions {
  brokers: string[];
  topic: string;
  /** Prepended to every consumer group (`<prefix>.<subscription>`). */
  groupPrefix?: string | undefined;
  /** Partitions of the topic when the bus creates it (default 3). */
  partitions?: number;
  /** How soon a silent consumer loses its partitions (default 30 s; the broker's minimum is 6 s). */
  sessionTimeoutMs?: number;
}

/** The dead-letter topic of an events topic; `x-subscription` tells which group gave up. */
export function kafkaDeadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const GROUP_JOIN_TIMEOUT_MS = 30_000;

/**
 * Kafka: one topic, message key = `aggregateKey(envelope)` so one document's events stay in
 * order, one consumer group per subscription that filters on the `x-event` header, an
 * idempotent producer with acks=all, in-place retries with backoff (keeping the partition's
 * order) and a dead-letter topic.
 */
export function createKafkaBus(options: KafkaOptions, deps: BusDeps): Bus {
  const { logger, metrics, service } = deps;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 30_000;
  const kafka = new Kafka({
    clientId: service,
    brokers: options.brokers,
    connectionTimeout: 3_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin: Admin = kafka.admin();
  const consumers = new Map<string, Consumer>();
  const transientGroups: string[] = [];
  // Subscription name -> consumer group, for the lag gauge.
  const durableGroups = new Map<string, string>();
  const inFlight = new InFlight();
  let lagSampler: LagSampler | undefined;
  let producerReady: Promise<void> | undefined;
  let adminReady: Promise<void> | undefined;
  let topicsReady: Promise<void> | undefined;
  // `draining`: consumers stop and handlers in flight finish, still able to publish their
  // results; `closed`: the producer is gone for good. (The same words as the RabbitMQ bus.)
  let draining = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  const once = (task: () => Promise<void>, reset: () => void) =>
    task().catch((error: unknown) => {
      reset();
      throw error;
    });

  function connectAdmin(): Promise<void> {
    adminReady ??= once(
      () => admin.connect(),
      () => (adminReady = undefined),
    );
    return adminReady;
  }

  /** Creates the events and dead-letter topics when missing; remembered once it worked. */
  function ensureTopics(): Promise<void> {
    topicsReady ??= once(
      async () => {
        await connectAdmin();
        await admin.createTopics({
          waitForLeaders: true,
          topics: [options.topic, kafkaDeadLetterTopic(options.topic)].map((topic) => ({
            topic,
            numPartitions: options.partitions ?? 3,
            replicationFactor: 1,
            configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
          })),
        });
      },
      () => (topicsReady = undefined),
    );
    return topicsReady;
  }

  function connectProducer(): Promise<void> {
    producerReady ??= once(
      async () => {
        await ensureTopics();
        await producer.connect();
      },
      () => (producerReady = undefined),
    );
    return producerReady;
  }

  async function send(topic: string, key: string, value: Buffer, headers: IHeaders) {
    const deadline = Date.now() + publishTimeoutMs;
    for (;;) {
      try {
        await connectProducer();
        await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
        return;
      } catch (error) {
        if (closed || Date.now() >= deadline) {
          throw new BusError('BUS_PUBLISH_FAILED', `publish to ${topic} not acknowledged`, {
            cause: error,
          });
        }
        logger.warn('kafka publish not acknowledged; retrying', { error: String(error) });
        await sleep(250);
      }
    }
  }

  async function publish(envelope: AnyEnvelope): Promise<void> {
    if (closed) throw new BusError('BUS_CLOSED', 'the bus is closed');

    await send(options.topic, aggregateKey(envelope), Buffer.from(JSON.stringify(envelope)), {
      [HEADER.event]: envelope.event,
      [HEADER.correlationId]: currentCorrelationId() ?? envelope.correlation_id,
    });
    metrics?.busPublished.inc({ event: envelope.event, transport: 'kafka' });
  }

  function eachMessage(subscription: Subscription) {
    const context = { subscription, transport: 'kafka' as const, logger, metrics };

    return async (payload: EachMessagePayload): Promise<void> => {
      const { message } = payload;
      const event = headerText(message.headers, HEADER.event);
      if (event && !(subscription.events as string[]).includes(event)) return;

      const body = message.value ?? Buffer.alloc(0);
      const correlation = headerText(message.headers, HEADER.correlationId);
      for (let attempt = 1; ; attempt += 1) {
        const verdict = await consumeMessage(context, body, attempt, correlation);
        if (verdict.kind === 'ack') return;

        if (subscription.transient) {
          // Best-effort fan-out: no retries, no dead letters.
          logger.debug('transient subscription dropped a message', { reason: verdict.reason });
          return;
        }

        if (verdict.kind === 'dead-letter') {
          await send(kafkaDeadLetterTopic(options.topic), message.key?.toString() ?? '', body, {
            ...message.headers,
            [HEADER.deadLetterReason]: verdict.reason.slice(0, 2_000),
            [HEADER.subscription]: subscription.name,
            [HEADER.attempt]: String(attempt),
          });
          return;
        }

        await sleepWithHeartbeat(verdict.delayMs, () => payload.heartbeat());
        // Not committed: another member (or this one after a restart) takes the message over.
        if (draining) throw new BusError('BUS_CLOSED', 'closing during a retry backoff');
      }
    };
  }

  async function subscribe(subscription: Subscription): Promise<void> {
    if (draining) throw new BusError('BUS_CLOSED', 'the bus is closing');
    validateSubscription(subscription, consumers);
    const named = options.groupPrefix
      ? `${options.groupPrefix}.${subscription.name}`
      : subscription.name;
    const { transient = false } = subscription;
    const groupId = transient ? `${named}.${randomBytes(6).toString('hex')}` : named;
    if (transient) transientGroups.push(groupId);
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: MAX_MESSAGE_BYTES + 1024 * 1024,
      maxBytes: 2 * MAX_MESSAGE_BYTES,
    });
    consumers.set(subscription.name, consumer);

    await ensureTopics();
    await consumer.connect();
    const joined = waitForJoin(consumer);
    // A new durable group reads the topic from its start, so no event published before it
    // joined is missed; a transient one wants only what happens from now on.
    await consumer.subscribe({ topics: [options.topic], fromBeginning: !transient });
    const handler = eachMessage(subscription);
    // One partition at a time: kafkajs's partitionsConsumedConcurrently has been reported to
    // run one partition's messages in parallel (tulios/kafkajs#1139), which breaks ordering.
    // A transient group never commits, so nothing of it outlives its members.
    await consumer.run({
      autoCommit: !transient,
      eachMessage: (payload) => inFlight.track(handler(payload)),
    });
    await joined;
    logger.info('kafka subscribed', { group: groupId, events: subscription.events, transient });
    if (!transient) {
      durableGroups.set(subscription.name, groupId);
      startSampling();
    }
  }

  function startSampling(): void {
    if (!metrics || lagSampler || draining) return;
    lagSampler = startLagSampler(sampleLag, {
      intervalMs: deps.lagIntervalMs ?? DEFAULT_LAG_INTERVAL_MS,
      transport: 'kafka',
      logger,
    });
  }

  /** Per durable group: what the topic holds beyond the group's committed offsets. */
  async function sampleLag(): Promise<void> {
    if (!metrics || draining) return;

    await connectAdmin();
    const watermarks = await admin.fetchTopicOffsets(options.topic);

    for (const [subscription, groupId] of durableGroups) {
      if (draining) return;
      const [committed] = await admin.fetchOffsets({ groupId, topics: [options.topic] });
      const lag = partitionLag(watermarks, committed?.partitions ?? []);
      metrics.busConsumerLag.set({ subscription, transport: 'kafka' }, lag);
    }
  }

  async function check(): Promise<void> {
    await withTimeout(
      (async () => {
        await connectAdmin();
        await admin.describeCluster();
      })(),
      5_000,
      () => new BusError('BUS_UNAVAILABLE', `Kafka unreachable at ${options.brokers.join(',')}`),
    );
  }

  async function shutdown(): Promise<void> {
    draining = true;
    await lagSampler?.stop();
    // disconnect() stops fetching, waits for eachMessage calls in flight (which may still
    // publish their results) and commits offsets.
    await Promise.allSettled([...consumers.values()].map((consumer) => consumer.disconnect()));
    await inFlight.drain();

    closed = true;
    if (transientGroups.length > 0) {
      // Empty groups expire on their own; deleting them keeps the group list readable.
      const deleting = connectAdmin().then(() => admin.deleteGroups(transientGroups));
      await withTimeout(deleting, 5_000, () => new Error('timeout')).catch(() => undefined);
    }
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }

  function close(): Promise<void> {
    closing ??= shutdown();
    return closing;
  }

  return { transport: 'kafka', publish, subscribe, check, close };
}

/**
 * Messages behind, summed over partitions: the high watermark minus the committed offset, or
 * minus the log start where the group committed nothing yet (a new group reads from the start).
 */
function partitionLag(
  watermarks: { partition: number; high: string; low: string }[],
  committed: { partition: number; offset: string }[],
): number {
  const done = new Map(committed.map((entry) => [entry.partition, Number(entry.offset)]));
  return watermarks.reduce((sum, { partition, high, low }) => {
    const offset = done.get(partition) ?? -1;
    return sum + Math.max(0, Number(high) - (offset >= 0 ? offset : Number(low)));
  }, 0);
}

function waitForJoin(consumer: Consumer): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    }),
    GROUP_JOIN_TIMEOUT_MS,
    () => new BusError('BUS_UNAVAILABLE', 'Kafka consumer group did not join in time'),
  );
}

async function sleepWithHeartbeat(ms: number, heartbeat: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(1_000, until - Date.now()));
    await heartbeat().catch(() => undefined);
  }
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Routes kafkajs's own log lines into the service logger; its INFO chatter goes to debug. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...fields } = log;
      const line = `kafkajs: ${message}`;
      if (level === logLevel.ERROR) logger.warn(line, fields);
      else if (level === logLevel.WARN) logger.warn(line, fields);
      else logger.debug(line, fields);
    };
}
