import amqp from 'amqplib';
import type { AnyEnvelope, EventName } from '@readur/contracts';
import {
  amqpUrl,
  listenToExchange as listenTo,
  waitFor,
  type ExchangeListener,
} from '@readur/testkit';

/** Every event seen on a test exchange, and a typed wait for one of them. */
export interface BrokerListener extends ExchangeListener {
  /** Resolves with the first event of that name matching `predicate`. */
  waitForEvent<E extends EventName>(
    event: E,
    predicate?: (envelope: Extract<AnyEnvelope, { event: E }>) => boolean,
  ): Promise<Extract<AnyEnvelope, { event: E }>>;
}

/** Declares `exchange` like the bus does and listens on it (`@readur/testkit`). */
export async function listenToExchange(exchange: string): Promise<BrokerListener> {
  const listener = await listenTo(exchange);
  return {
    ...listener,
    waitForEvent: (event, predicate = () => true) =>
      waitFor(
        () =>
          listener.events.find(
            (envelope): envelope is Extract<AnyEnvelope, { event: typeof event }> =>
              envelope.event === event &&
              predicate(envelope as Extract<AnyEnvelope, { event: typeof event }>),
          ),
        { description: `${event} on ${exchange}` },
      ),
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
