import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  EVENT_NAMES,
  INTERNAL_FIELDS,
  eventDataSchemas,
  type EventData,
  type EventName,
} from './events';

/** Version of the envelope and payload shapes; bumped on a breaking change. */
export const ENVELOPE_VERSION = 1;

/** The envelope every message on the bus carries. `id` is the idempotency key. */
export const envelopeSchema = z.object({
  id: z.uuid(),
  event: z.enum(EVENT_NAMES as [EventName, ...EventName[]]),
  version: z.number().int().positive(),
  timestamp: z.iso.datetime(),
  correlation_id: z.string().min(1),
  data: z.unknown(),
});

/** A validated message of one event type. */
export interface Envelope<E extends EventName = EventName> {
  id: string;
  event: E;
  version: number;
  timestamp: string;
  correlation_id: string;
  data: EventData<E>;
}

/** Any validated message: a union discriminated on `event`. */
export type AnyEnvelope = { [E in EventName]: Envelope<E> }[EventName];

/** Builds an envelope; validates `data` so a bad publish fails at the publisher. */
export function createEnvelope<E extends EventName>(
  event: E,
  data: EventData<E>,
  options: { correlationId?: string; id?: string; now?: Date } = {},
): Envelope<E> {
  const parsed = eventDataSchemas[event].parse(data) as EventData<E>;
  const id = options.id ?? randomUUID();
  return {
    id,
    event,
    version: ENVELOPE_VERSION,
    timestamp: (options.now ?? new Date()).toISOString(),
    correlation_id: options.correlationId ?? id,
    data: parsed,
  };
}

/** The outcome of validating a received message. */
export type ParseResult =
  { ok: true; envelope: AnyEnvelope } | { ok: false; error: string; event?: string };

/** Validates a received message: the envelope first, then `data` against its event's schema. */
export function parseEnvelope(raw: unknown): ParseResult {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    return { ok: false, error: `invalid envelope: ${z.prettifyError(envelope.error)}` };
  }

  const { event } = envelope.data;
  const data = eventDataSchemas[event].safeParse(envelope.data.data);
  if (!data.success) {
    return { ok: false, event, error: `invalid ${event} data: ${z.prettifyError(data.error)}` };
  }

  return { ok: true, envelope: { ...envelope.data, data: data.data } as AnyEnvelope };
}

/** Parses message bytes as JSON and validates them; never throws. */
export function decodeEnvelope(bytes: Buffer | string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString());
  } catch (error) {
    return { ok: false, error: `message is not JSON: ${(error as Error).message}` };
  }
  return parseEnvelope(raw);
}

/**
 * The key that keeps one aggregate's events in order (Kafka partition key): the document,
 * else the source, else the user.
 */
export function aggregateKey(envelope: AnyEnvelope): string {
  const data = envelope.data as Partial<Record<'document_id' | 'source_id' | 'user_id', string>>;
  return data.document_id ?? data.source_id ?? data.user_id ?? envelope.id;
}

/** The public webhook body. */
export interface WebhookBody {
  event: EventName;
  timestamp: string;
  webhook_id: string;
  data: Record<string, unknown>;
}

/** Builds the public webhook body from an envelope, leaving internal fields out. */
export function toWebhookBody(envelope: AnyEnvelope, webhookId: string): WebhookBody {
  const hidden = new Set(INTERNAL_FIELDS[envelope.event] ?? []);
  const data = Object.fromEntries(
    Object.entries(envelope.data).filter(([field]) => !hidden.has(field)),
  );
  return { event: envelope.event, timestamp: envelope.timestamp, webhook_id: webhookId, data };
}

/** The body a live (WebSocket) client receives: the webhook body without `webhook_id`. */
export interface LiveEvent {
  event: EventName;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Builds the live-event body from an envelope, leaving internal fields out like webhooks do. */
export function toLiveEvent(envelope: AnyEnvelope): LiveEvent {
  const { event, timestamp, data } = toWebhookBody(envelope, '');
  return { event, timestamp, data };
}

/**
 * A stable event id derived from the message that caused the event: a worker that handles
 * the same message twice (after a crash) publishes the same id, so inboxes and webhook
 * receivers drop the repeat. Shaped as an RFC 4122 version-5 (name-based, SHA-1) uuid.
 */
export function deriveEventId(causeId: string, event: EventName): string {
  const hash = createHash('sha1').update(`${causeId}/${event}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
