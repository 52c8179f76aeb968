import amqp from 'amqplib';
import { decodeEnvelope, type AnyEnvelope } from '@readur/contracts';
import { amqpUrl } from '@readur/testkit';

/** A message waiting on a queue: the event it carries and the headers the bus set on it. */
export interface QueuedMessage {
  envelope: AnyEnvelope;
  headers: Record<string, unknown>;
}

function decode(content: Buffer): AnyEnvelope {
  const parsed = decodeEnvelope(content);
  if (!parsed.ok) throw new Error(`invalid event on the broker: ${parsed.error}`);
  return parsed.envelope;
}

/**
 * The messages on `queue`, read and handed back unacknowledged, so the queue keeps them. Throws
 * when the queue does not exist.
 */
export async function peekQueue(queue: string): Promise<QueuedMessage[]> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await channel.checkQueue(queue);
    const messages: QueuedMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      messages.push({
        envelope: decode(message.content),
        headers: message.properties.headers ?? {},
      });
    }
    // Closing the channel returns every unacknowledged message to the queue.
    await channel.close();
    return messages;
  } finally {
    await connection.close();
  }
}
