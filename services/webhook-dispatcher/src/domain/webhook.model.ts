import { EVENT, type EventName } from '@readur/contracts';

/** Who owns a webhook: a user, an admin, or the operator (the global webhook from the env). */
export type OwnerRole = 'admin' | 'user' | 'operator';

/** The events a webhook can subscribe to: the nine documented ones. */
export const WEBHOOK_EVENTS = [
  EVENT.documentCreated,
  EVENT.documentUpdated,
  EVENT.documentDeleted,
  EVENT.ocrCompleted,
  EVENT.ocrFailed,
  EVENT.sourceSyncStarted,
  EVENT.sourceSyncCompleted,
  EVENT.userCreated,
  EVENT.userLogin,
] as const satisfies readonly EventName[];

/** One deliverable event name. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The event of a ping: never on the bus, only sent to the one webhook that asked. */
export const PING_EVENT = 'webhook.ping';

/** The id of the operator's webhook row, kept in step with `WEBHOOK_*` at start-up. */
export const GLOBAL_WEBHOOK_ID = 'whk_global';

/** A subscription as the domain sees it; the secret stays encrypted here. */
export interface Webhook {
  id: string;
  userId: string | null;
  ownerRole: OwnerRole;
  url: string;
  /** Event names, or `['*']` for every event. */
  events: string[];
  description: string;
  enabled: boolean;
  secretCiphertext: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a delivery stands: pending (due or scheduled), succeeded, or dead after its last try. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';

/** One event for one webhook. `body` holds the exact bytes that are signed and sent. */
export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  correlationId: string | null;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** One try of a delivery, as the delivery log shows it. */
export interface DeliveryAttempt {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: 'succeeded' | 'retry' | 'dead';
  nextRetryAt: Date | null;
}

/** Who is calling, as the gateway vouched for it. */
export interface Caller {
  userId: string;
  role: 'admin' | 'user';
  correlationId?: string;
}
