import { z } from 'zod';
import { EVENT_NAMES, eventDataSchemas, type EventName } from './events';
import { envelopeSchema } from './envelope';

/** The JSON Schema (draft 2020-12) of one event's `data`, generated from its zod schema. */
export function eventJsonSchema(event: EventName): Record<string, unknown> {
  return z.toJSONSchema(eventDataSchemas[event], { target: 'draft-2020-12' });
}

/** Every generated schema file, keyed by its file name under `schemas/`. */
export function jsonSchemaFiles(): Record<string, Record<string, unknown>> {
  const files: Record<string, Record<string, unknown>> = {
    'envelope.json': z.toJSONSchema(envelopeSchema, { target: 'draft-2020-12' }),
  };
  for (const event of EVENT_NAMES) {
    files[`${event}.json`] = { title: event, ...eventJsonSchema(event) };
  }
  return files;
}

/** An AsyncAPI 3 document describing the `readur-events` exchange/topic and its messages. */
export function asyncApiDocument(): Record<string, unknown> {
  const messages = Object.fromEntries(
    EVENT_NAMES.map((event) => [
      event.replaceAll('.', '_'),
      {
        name: event,
        title: event,
        contentType: 'application/json',
        headers: { type: 'object', properties: { 'x-correlation-id': { type: 'string' } } },
        payload: {
          allOf: [
            { $ref: './schemas/envelope.json' },
            { type: 'object', properties: { data: { $ref: `./schemas/${event}.json` } } },
          ],
        },
        bindings: { amqp: { messageType: event }, kafka: { key: { type: 'string' } } },
      },
    ]),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Readur events',
      version: '1.0.0',
      description:
        'Every event the Readur services publish. RabbitMQ: topic exchange `readur-events`, ' +
        'routing key = event name. Kafka: topic `readur-events`, key = aggregate id.',
    },
    channels: {
      'readur-events': {
        address: 'readur-events',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
        bindings: {
          amqp: {
            is: 'routingKey',
            exchange: { name: 'readur-events', type: 'topic', durable: true },
          },
          kafka: { topic: 'readur-events' },
        },
      },
    },
    components: { messages },
  };
}
