import amqp from 'amqplib';
import { amqpUrl } from '@readur/testkit';

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
