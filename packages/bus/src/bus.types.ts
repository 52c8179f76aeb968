import type { AnyEnvelope, EventName } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';

/** The broker a message travelled through. */
export type Transport = 'amqp' | 'kafka';

/** What a handler decided about one message; `void` means `done`. */
export type Outcome =
  | { kind: 'done' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'dead-letter'; reason: string };

/** Facts about one delivery of a message; `attempt` counts from 1. */
export interface Delivery {
  attempt: number;
  transport: Transport;
}

/** Handles one validated event; throwing is treated like `{ kind: 'retry' }`. */
export type Handler = (envelope: AnyEnvelope, delivery: Delivery) => Promise<Outcome | void>;

/** How often and how late a failed message is tried again before it is dead-lettered. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Delay before attempt n+1 is `backoffMs[n-1]`; the last value repeats. */
  backoffMs: number[];
}

/**
 * A durable, per-service subscription: the RabbitMQ queue name or the Kafka consumer group.
 * The name is the identity of the queued messages, so it must never be derived from code.
 */
export interface Subscription {
  name: string;
  events: EventName[];
  handler: Handler;
  retry?: RetryPolicy;
  /**
   * A per-bus-instance subscription for fan-out (each gateway replica's live events): every
   * transient subscriber gets every event, from the moment it subscribed, and nothing is kept
   * once its bus closes. RabbitMQ: an exclusive, auto-delete queue named `<queue>.<random>`;
   * Kafka: a consumer group of its own starting at the latest offset, never committing. No
   * retries and no dead letters: a handler that fails drops the message (best-effort).
   */
  transient?: boolean;
}

/** One interface over RabbitMQ and Kafka. */
export interface Bus {
  /** Which broker this bus talks to. */
  readonly transport: Transport;
  /** Resolves only once the broker has confirmed the message (at-least-once). */
  publish(envelope: AnyEnvelope): Promise<void>;
  /** Declares the subscription's durable topology and starts consuming. */
  subscribe(subscription: Subscription): Promise<void>;
  /** Readiness: throws when the broker cannot be reached. */
  check(): Promise<void>;
  /** Stops consuming, waits for handlers in flight (they may still publish), then closes. */
  close(): Promise<void>;
}

/**
 * The bus variables of `busConfig` in `@readur/config`, once parsed. Exactly one transport
 * must be enabled.
 */
export interface BusConfig {
  AMQP_ENABLED: boolean;
  AMQP_URL: string;
  AMQP_EXCHANGE: string;
  AMQP_QUEUE?: string | undefined;
  AMQP_PREFETCH: number;
  KAFKA_ENABLED: boolean;
  KAFKA_BROKERS: string;
  KAFKA_TOPIC: string;
  KAFKA_CONSUMER_GROUP?: string | undefined;
}

/** What a bus needs besides its config. */
export interface BusDeps {
  /** The service name: the client / connection name on the broker. */
  service: string;
  logger: Logger;
  metrics?: Metrics;
  /** How long `publish` waits for a broker that is down before it rejects (default 30 s). */
  publishTimeoutMs?: number;
  /**
   * How often the lag of each durable subscription is read from the broker into
   * `bus_consumer_lag_messages` (default 15 s, a usual scrape interval); only with `metrics`.
   */
  lagIntervalMs?: number;
}
