import { randomBytes } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { currentCorrelationId } from '@readur/logger';
import type { AnyEnvelope } from '@readur/contracts';
import { BusError } from './bus.error';
import type { Bus, BusDeps, Subscription } from './bus.types';
import {
  consumeMessage,
  HEADER,
  InFlight,
  retryPolicyOf,
  sleep,
  type Verdict,
} from './message.consumer';
import { DEFAULT_LAG_INTERVAL_MS, startLagSampler, type LagSampler } from './lag.sampler';
import { backoffSteps } from './retry.policy';

/** The RabbitMQ settings the transport reads. */
export interface AmqpOptions {
  url: string;
  exchange: string;
  prefetch: number;
  /** Prepended to every queue name (`<prefix>.<subscription>`), e.g. to share a dev broker. */
  queuePrefix?: string | undefined;
}

interface Connected {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

interface Consumer {
  subscription: Subscription;
  queue: string;
  /** The queue consumed right now: `queue`, or a transient subscription's `<queue>.<random>`. */
  consuming?: string;
  connection?: ChannelModel;
  channel?: ConfirmChannel;
  tag?: string;
}

const RECONNECT_MS = [100, 250, 500, 1_000, 2_000, 5_000];
// A transient queue whose consumer stalls drops its oldest messages past this many.
const TRANSIENT_MAX_LENGTH = 10_000;

/** A fresh name per connection: an exclusive queue of a dead connection may linger a while. */
function transientQueueName(queue: string): string {
  return `${queue}.${randomBytes(6).toString('hex')}`;
}

/** Names of the queues of one subscription. */
export function amqpQueueNames(queue: string, delayMs?: number) {
  return {
    main: queue,
    deadLetter: `${queue}.dlq`,
    retry: `${queue}.retry.${delayMs ?? 0}ms`,
  };
}

/**
 * RabbitMQ: a durable topic exchange, routing key = event name, one durable queue per
 * subscription, publisher confirms, delay queues for retries and a `<queue>.dlq`. Reconnects
 * after the broker went away, re-declares the topology and resumes consuming.
 */
export function createAmqpBus(options: AmqpOptions, deps: BusDeps): Bus {
  const { logger, metrics, service } = deps;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 30_000;
  const consumers = new Map<string, Consumer>();
  const inFlight = new InFlight();
  let state: Connected | undefined;
  let connecting: Promise<Connected> | undefined;
  // `draining`: consumers are cancelled and handlers in flight finish, still able to publish
  // their results; `closed`: the connection is gone for good.
  let draining = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let lagSampler: LagSampler | undefined;
  let lagChannel: { connection: ChannelModel; channel: amqp.Channel } | undefined;

  async function open(): Promise<Connected> {
    const connection = await amqp.connect(options.url, {
      clientProperties: { connection_name: service },
    });
    // Listen before the first await: an 'error' (a missed heartbeat, a broker going down)
    // with no listener would end the whole process.
    connection.on('error', (error: Error) =>
      logger.warn('amqp connection error', { error: error.message }),
    );
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) =>
        logger.warn('amqp publish channel error', { error: error.message }),
      );
      await channel.assertExchange(options.exchange, 'topic', { durable: true });
      connection.once('close', () => onConnectionLost(connection));
      const next = { connection, channel };
      if (!draining) {
        for (const consumer of consumers.values()) await startConsumer(next.connection, consumer);
      }
      return next;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  function onConnectionLost(connection: ChannelModel): void {
    if (state?.connection !== connection) return;

    state = undefined;
    for (const consumer of consumers.values()) {
      consumer.channel = undefined;
      consumer.tag = undefined;
    }
    if (closed) return;

    logger.warn('amqp connection lost; reconnecting', { url: redact(options.url) });
    connectInBackground();
  }

  /** Connects with backoff until it succeeds or the bus is closed; one attempt loop at a time. */
  function connect(): Promise<Connected> {
    if (state) return Promise.resolve(state);
    connecting ??= (async () => {
      for (let attempt = 0; ; attempt += 1) {
        if (closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
        try {
          state = await open();
          logger.info('amqp connected', { url: redact(options.url), attempt });
          return state;
        } catch (error) {
          const delay = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)] ?? 5_000;
          logger.debug('amqp connect failed', { error: String(error), retry_in_ms: delay });
          await sleep(delay);
        }
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  function connectInBackground(): void {
    connect().catch((error: unknown) => {
      if (!closed) logger.error('amqp reconnect gave up', { error: String(error) });
    });
  }

  /** The connection, or a BUS_UNAVAILABLE error once `timeoutMs` passed. */
  async function connected(timeoutMs: number): Promise<Connected> {
    if (state) return state;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new BusError('BUS_UNAVAILABLE', `RabbitMQ unreachable at ${redact(options.url)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([connect(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function declareTransient(channel: ConfirmChannel, consumer: Consumer): Promise<string> {
    const { queue } = await channel.assertQueue(transientQueueName(consumer.queue), {
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-max-length': TRANSIENT_MAX_LENGTH },
    });
    for (const event of consumer.subscription.events) {
      await channel.bindQueue(queue, options.exchange, event);
    }
    return queue;
  }

  async function declareTopology(channel: ConfirmChannel, consumer: Consumer): Promise<string> {
    const { subscription, queue } = consumer;
    if (subscription.transient) return declareTransient(channel, consumer);

    const names = amqpQueueNames(queue);
    await channel.assertQueue(names.main, { durable: true });
    for (const event of subscription.events) {
      await channel.bindQueue(names.main, options.exchange, event);
    }
    await channel.assertQueue(names.deadLetter, { durable: true });

    for (const delayMs of backoffSteps(retryPolicyOf(subscription))) {
      await channel.assertQueue(amqpQueueNames(queue, delayMs).retry, {
        durable: true,
        arguments: {
          'x-message-ttl': delayMs,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': names.main,
        },
      });
    }
    return names.main;
  }

  async function startConsumer(connection: ChannelModel, consumer: Consumer): Promise<void> {
    if (consumer.connection === connection && consumer.channel) return;

    consumer.connection = connection;
    const channel = await connection.createConfirmChannel();
    consumer.channel = channel;
    channel.on('error', (error: Error) =>
      logger.warn('amqp channel error', { queue: consumer.queue, error: error.message }),
    );
    channel.once('close', () => {
      // A channel closed by the broker on a live connection: start over on a new connection.
      if (!closed && consumer.channel === channel && state?.connection === connection) {
        connection.close().catch(() => undefined);
      }
    });

    const queue = await declareTopology(channel, consumer);
    consumer.consuming = queue;
    await channel.prefetch(options.prefetch);
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (!message) return;
      // Delivered before the broker saw our cancel: hand it back untouched for another consumer.
      if (draining) channel.nack(message, false, true);
      else void inFlight.track(handle(consumer, channel, message));
    });
    consumer.tag = consumerTag;
  }

  async function handle(
    consumer: Consumer,
    channel: ConfirmChannel,
    message: ConsumeMessage,
  ): Promise<void> {
    const headers = message.properties.headers ?? {};
    const attempt = Number(headers[HEADER.attempt] ?? 1) || 1;
    const correlation = headers[HEADER.correlationId] as string | undefined;
    const verdict = await consumeMessage(
      { subscription: consumer.subscription, transport: 'amqp', logger, metrics },
      message.content,
      attempt,
      correlation,
    );

    try {
      await settle(consumer, channel, message, verdict);
    } catch (error) {
      // The channel went away: the broker redelivers the unacknowledged message.
      logger.warn('amqp could not settle a message; it will be redelivered', {
        queue: consumer.queue,
        error: String(error),
      });
    }
  }

  async function settle(
    consumer: Consumer,
    channel: ConfirmChannel,
    message: ConsumeMessage,
    verdict: Verdict,
  ): Promise<void> {
    if (consumer.subscription.transient) {
      // Best-effort fan-out: nothing to retry into and no dead letters to keep.
      if (verdict.kind !== 'ack') {
        logger.debug('transient subscription dropped a message', {
          queue: consumer.consuming,
          reason: verdict.reason,
        });
      }
      channel.ack(message);
      return;
    }

    const headers = { ...(message.properties.headers ?? {}) };
    const republish = (queue: string) =>
      publishConfirmed(channel, '', queue, message.content, {
        persistent: true,
        contentType: message.properties.contentType as string | undefined,
        messageId: message.properties.messageId as string | undefined,
        type: message.properties.type as string | undefined,
        headers,
      });

    if (verdict.kind === 'retry') {
      headers[HEADER.attempt] = verdict.nextAttempt;
      await republish(amqpQueueNames(consumer.queue, verdict.delayMs).retry);
    } else if (verdict.kind === 'dead-letter') {
      headers[HEADER.deadLetterReason] = verdict.reason.slice(0, 2_000);
      headers[HEADER.subscription] = consumer.subscription.name;
      headers['x-original-routing-key'] = message.fields.routingKey;
      await republish(amqpQueueNames(consumer.queue).deadLetter);
    }
    channel.ack(message);
  }

  async function publish(envelope: AnyEnvelope): Promise<void> {
    if (closed) throw new BusError('BUS_CLOSED', 'the bus is closed');

    const deadline = Date.now() + publishTimeoutMs;
    const body = Buffer.from(JSON.stringify(envelope));
    const publishOptions: amqp.Options.Publish = {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.event,
      timestamp: Math.floor(Date.now() / 1000),
      headers: {
        [HEADER.event]: envelope.event,
        [HEADER.correlationId]: currentCorrelationId() ?? envelope.correlation_id,
      },
    };

    for (;;) {
      const { channel } = await connected(Math.max(deadline - Date.now(), 1));
      try {
        await publishConfirmed(channel, options.exchange, envelope.event, body, publishOptions);
        break;
      } catch (error) {
        // Not confirmed: publish again once reconnected; consumers dedupe by envelope id.
        if (closed || Date.now() >= deadline) {
          throw new BusError('BUS_PUBLISH_FAILED', `publish of ${envelope.event} not confirmed`, {
            cause: error,
          });
        }
        logger.warn('amqp publish not confirmed; retrying', { event_id: envelope.id });
        await sleep(100);
      }
    }
    metrics?.busPublished.inc({ event: envelope.event, transport: 'amqp' });
  }

  async function subscribe(subscription: Subscription): Promise<void> {
    if (draining) throw new BusError('BUS_CLOSED', 'the bus is closing');
    validateSubscription(subscription, consumers);
    const queue = options.queuePrefix
      ? `${options.queuePrefix}.${subscription.name}`
      : subscription.name;
    const consumer: Consumer = { subscription, queue };
    consumers.set(subscription.name, consumer);

    const { connection } = await connected(publishTimeoutMs);
    await startConsumer(connection, consumer);
    logger.info('amqp subscribed', {
      queue: consumer.consuming,
      events: subscription.events,
      transient: subscription.transient ?? false,
    });
    if (!subscription.transient) startSampling();
  }

  function startSampling(): void {
    if (!metrics || lagSampler || draining) return;
    lagSampler = startLagSampler(sampleLag, {
      intervalMs: deps.lagIntervalMs ?? DEFAULT_LAG_INTERVAL_MS,
      transport: 'amqp',
      logger,
    });
  }

  /** Per durable subscription: the messages ready in its queue (a passive declare). */
  async function sampleLag(): Promise<void> {
    // Reconnecting or closing: nothing to read now, the next interval tries again.
    const connection = state?.connection;
    if (!metrics || !connection || draining) return;

    const channel = await lagChannelOn(connection);
    for (const consumer of consumers.values()) {
      if (consumer.subscription.transient || !consumer.consuming) continue;
      const { messageCount } = await channel.checkQueue(consumer.queue);
      metrics.busConsumerLag.set(
        { subscription: consumer.subscription.name, transport: 'amqp' },
        messageCount,
      );
    }
  }

  /**
   * A plain channel on the bus's connection for the passive declares: a queue someone deleted
   * (404) closes this channel, never the publish channel, which does not reopen on its own.
   */
  async function lagChannelOn(connection: ChannelModel): Promise<amqp.Channel> {
    if (lagChannel?.connection === connection) return lagChannel.channel;

    const channel = await connection.createChannel();
    channel.on('error', (error: Error) =>
      logger.debug('amqp lag channel error', { error: error.message }),
    );
    channel.once('close', () => {
      if (lagChannel?.channel === channel) lagChannel = undefined;
    });
    lagChannel = { connection, channel };
    return channel;
  }

  async function check(): Promise<void> {
    const { channel } = await connected(2_000);
    await channel.checkExchange(options.exchange);
  }

  async function shutdown(): Promise<void> {
    draining = true;
    await lagSampler?.stop();
    for (const consumer of consumers.values()) {
      if (consumer.channel && consumer.tag) {
        await consumer.channel.cancel(consumer.tag).catch(() => undefined);
      }
    }
    // Handlers in flight may still publish (a page's result) until they are done.
    await inFlight.drain();

    closed = true;
    await connecting?.catch(() => undefined);
    const current = state;
    state = undefined;
    await current?.connection.close().catch(() => undefined);
  }

  function close(): Promise<void> {
    closing ??= shutdown();
    return closing;
  }

  return { transport: 'amqp', publish, subscribe, check, close };
}

function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: amqp.Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, routingKey, body, options, (error: unknown) =>
      error ? reject(error instanceof Error ? error : new Error('publish nacked')) : resolve(),
    );
  });
}

/** Rejects a subscription that could never work, at start-up rather than at the first message. */
export function validateSubscription(
  subscription: Subscription,
  existing: Map<string, unknown>,
): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9._-]+$/.test(subscription.name))
    problems.push('name must match [A-Za-z0-9._-]+');
  if (existing.has(subscription.name)) problems.push('name already subscribed on this bus');
  if (subscription.events.length === 0) problems.push('events must not be empty');
  if (subscription.retry && subscription.retry.maxAttempts < 1) problems.push('maxAttempts < 1');
  if (problems.length > 0) {
    throw new BusError(
      'BUS_SUBSCRIPTION_INVALID',
      `subscription ${subscription.name}: ${problems.join('; ')}`,
    );
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
