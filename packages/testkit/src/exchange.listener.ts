import amqp from 'amqplib';
import { decodeEnvelope, type AnyEnvelope } from '@readur/contracts';
import { amqpUrl, waitFor } from './index';

/** Every event published on one exchange while the listener runs, validated. */
export interface ExchangeListener {
  events: AnyEnvelope[];
  /** Each event as its bytes on the bus said, by envelope id: decoding drops unknown fields. */
  published: Map<string, unknown>;
  /** Resolves with the first event that matches, waiting up to 10 s. */
  next(match: (envelope: AnyEnvelope) => boolean, description: string): Promise<AnyEnvelope>;
  /** Publishes an envelope as a service's bus does: persistent, confirmed, keyed by event. */
  publish(envelope: AnyEnvelope): Promise<void>;
  close(): Promise<void>;
}

/**
 * Declares `exchange` as the bus does and listens to it through a temporary exclusive queue
 * bound to every event. A message that is not a valid envelope fails loudly.
 */
export async function listenToExchange(exchange: string): Promise<ExchangeListener> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, '#');

  const events: AnyEnvelope[] = [];
  const published = new Map<string, unknown>();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const decoded = decodeEnvelope(message.content);
      if (!decoded.ok) throw new Error(`invalid event on ${exchange}: ${decoded.error}`);
      published.set(decoded.envelope.id, JSON.parse(message.content.toString()));
      events.push(decoded.envelope);
    },
    { noAck: true },
  );

  return {
    events,
    published,
    next: (match, description) => waitFor(() => events.find(match), { description }),
    publish: (envelope) =>
      new Promise((resolve, reject) => {
        channel.publish(
          exchange,
          envelope.event,
          Buffer.from(JSON.stringify(envelope)),
          { persistent: true, contentType: 'application/json', messageId: envelope.id },
          (error: unknown) => (error ? reject(new Error('publish nacked')) : resolve()),
        );
      }),
    close: async () => {
      await channel.close();
      await connection.close();
    },
  };
}
