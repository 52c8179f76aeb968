import amqp from 'amqplib';
import { decodeEnvelope, type AnyEnvelope } from '@readur/contracts';
import { amqpUrl, waitFor } from '@readur/testkit';

/** Every event published on one exchange while the listener runs, validated. */
export interface EventListener {
  events: AnyEnvelope[];
  /** Each event as its bytes on the bus said, by envelope id: decoding drops unknown fields. */
  published: Map<string, unknown>;
  /** Resolves with the first event that matches, waiting up to 10 s. */
  next(match: (envelope: AnyEnvelope) => boolean, description: string): Promise<AnyEnvelope>;
  close(): Promise<void>;
}

/** Binds a temporary queue to `exchange` and collects what arrives. */
export async function listenToExchange(exchange: string): Promise<EventListener> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createChannel();
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
      if (!decoded.ok) throw new Error(`invalid message on the bus: ${decoded.error}`);
      published.set(decoded.envelope.id, JSON.parse(message.content.toString()));
      events.push(decoded.envelope);
    },
    { noAck: true },
  );

  return {
    events,
    published,
    next: (match, description) => waitFor(() => events.find(match), { description }),
    close: async () => {
      await channel.close();
      await connection.close();
    },
  };
}

/** Deletes a test exchange once the services are stopped. */
export async function deleteExchange(exchange: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
