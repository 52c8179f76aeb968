import amqp from 'amqplib';
import { decodeEnvelope, type AnyEnvelope, type EventName } from '@readur/contracts';
import { amqpUrl, waitFor } from '@readur/testkit';

/** Every event seen on a test exchange, through a temporary exclusive queue bound to `#`. */
export interface BrokerListener {
  events: AnyEnvelope[];
  /** Resolves with the first event of that name matching `predicate`. */
  waitForEvent<E extends EventName>(
    event: E,
    predicate?: (envelope: Extract<AnyEnvelope, { event: E }>) => boolean,
  ): Promise<Extract<AnyEnvelope, { event: E }>>;
  /** Publishes an envelope like the ocr-worker's bus would. */
  publish(envelope: AnyEnvelope): Promise<void>;
  close(): Promise<void>;
}

/** Connects to RabbitMQ, declares `exchange` like the bus does and listens on it. */
export async function listenToExchange(exchange: string): Promise<BrokerListener> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, '#');

  const events: AnyEnvelope[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const parsed = decodeEnvelope(message.content);
      if (!parsed.ok) throw new Error(`invalid event on the exchange: ${parsed.error}`);
      events.push(parsed.envelope);
    },
    { noAck: true },
  );

  return {
    events,
    waitForEvent: (event, predicate = () => true) =>
      waitFor(
        () =>
          events.find(
            (envelope): envelope is Extract<AnyEnvelope, { event: typeof event }> =>
              envelope.event === event &&
              predicate(envelope as Extract<AnyEnvelope, { event: typeof event }>),
          ),
        { description: `${event} on ${exchange}` },
      ),
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

/** Removes the durable queues a service declared for `prefix` and the exchange. */
export async function deleteBrokerTopology(exchange: string, queues: string[]): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
}
