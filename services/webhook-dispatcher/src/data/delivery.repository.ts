import type { Knex } from 'knex';
import type { Delivery, DeliveryAttempt, DeliveryStatus, OwnerRole } from '../domain/webhook.model';

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  correlation_id: string | null;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: DeliveryAttempt['outcome'];
  next_retry_at: Date | null;
}

/** A new delivery row. */
export interface NewDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  correlationId: string | null;
  body: string;
  maxAttempts: number;
}

/** A delivery taken by one worker, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: Delivery;
  url: string;
  secretCiphertext: string;
  ownerRole: OwnerRole;
}

/** The end of one attempt, as stored. */
export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: DeliveryAttempt['outcome'];
  /** When the next attempt is due (only for `retry`). */
  nextRetryAt: Date | null;
}

/** How the worker asks for due deliveries. */
export interface ClaimRequest {
  /** Rows looked at per round. */
  limit: number;
  /** How long a claimed row stays invisible to other workers (a crash releases it then). */
  leaseMs: number;
  /** Webhooks with no free slot or an open breaker: their rows are not looked at. */
  excludedWebhookIds: string[];
  /** Free slots of a webhook; rows beyond them stay for the next round. */
  freeSlots(webhookId: string): number;
}

const DELIVERIES = 'webhook_deliveries';
const ATTEMPTS = 'webhook_delivery_attempts';

const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  event: row.event,
  correlationId: row.correlation_id,
  body: row.body,
  status: row.status,
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  nextAttemptAt: row.next_attempt_at,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  createdAt: row.created_at,
  completedAt: row.completed_at,
});

const toAttempt = (row: AttemptRow): DeliveryAttempt => ({
  attempt: row.attempt,
  startedAt: row.started_at,
  durationMs: row.duration_ms,
  statusCode: row.status_code,
  error: row.error,
  outcome: row.outcome,
  nextRetryAt: row.next_retry_at,
});

function keepWithinSlots(rows: { id: string; webhook_id: string }[], request: ClaimRequest) {
  const taken = new Map<string, number>();
  return rows
    .filter((row) => {
      const count = taken.get(row.webhook_id) ?? 0;
      if (count >= request.freeSlots(row.webhook_id)) return false;
      taken.set(row.webhook_id, count + 1);
      return true;
    })
    .map((row) => row.id);
}

/** All SQL on `webhook_deliveries` and `webhook_delivery_attempts`. */
export const deliveryRepository = {
  /** Inserts deliveries; a (webhook, event) pair that exists already is left alone. */
  async insertMany(knex: Knex, deliveries: NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const inserted = (await knex(DELIVERIES)
      .insert(
        deliveries.map((delivery) => ({
          id: delivery.id,
          webhook_id: delivery.webhookId,
          event_id: delivery.eventId,
          event: delivery.event,
          correlation_id: delivery.correlationId,
          body: delivery.body,
          status: 'pending',
          max_attempts: delivery.maxAttempts,
          next_attempt_at: knex.fn.now(),
        })),
      )
      .onConflict(['webhook_id', 'event_id'])
      .ignore()
      .returning('id')) as unknown[];
    return inserted.length;
  },

  /**
   * Takes due deliveries of enabled webhooks with `FOR UPDATE SKIP LOCKED` and pushes their
   * due time out by the lease, so concurrent workers never take the same row and a crashed
   * worker's rows come back once the lease ends. Oldest due first.
   */
  async claimDue(knex: Knex, request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return knex.transaction(async (trx) => {
      const candidates = (await trx(`${DELIVERIES} as d`)
        .join('webhooks as w', 'w.id', 'd.webhook_id')
        .select('d.id', 'd.webhook_id')
        .where('d.status', 'pending')
        .where('d.next_attempt_at', '<=', trx.fn.now())
        .where('w.enabled', true)
        .whereNotIn('d.webhook_id', request.excludedWebhookIds)
        .orderBy('d.next_attempt_at')
        .limit(request.limit)
        .forUpdate('d')
        .skipLocked()) as { id: string; webhook_id: string }[];
      const ids = keepWithinSlots(candidates, request);
      if (ids.length === 0) return [];

      await trx(DELIVERIES)
        .whereIn('id', ids)
        .update({
          next_attempt_at: trx.raw(`now() + make_interval(secs => ?)`, [request.leaseMs / 1000]),
          updated_at: trx.fn.now(),
        });
      const rows = (await trx(`${DELIVERIES} as d`)
        .join('webhooks as w', 'w.id', 'd.webhook_id')
        .select('d.*', 'w.url', 'w.secret_ciphertext', 'w.owner_role')
        .whereIn('d.id', ids)
        .orderBy('d.next_attempt_at')) as (DeliveryRow & {
        url: string;
        secret_ciphertext: string;
        owner_role: OwnerRole;
      })[];
      return rows.map((row) => ({
        delivery: toDelivery(row),
        url: row.url,
        secretCiphertext: row.secret_ciphertext,
        ownerRole: row.owner_role,
      }));
    });
  },

  /** Gives a claimed row back without counting an attempt (e.g. its breaker was open). */
  async release(knex: Knex, deliveryId: string, dueAt: Date): Promise<void> {
    await knex(DELIVERIES)
      .where({ id: deliveryId, status: 'pending' })
      .update({ next_attempt_at: dueAt, updated_at: knex.fn.now() });
  },

  /**
   * Stores one finished attempt and the delivery's new state. Only the worker that claimed
   * attempt n may record it; a late duplicate (lease expired, taken again) records nothing.
   */
  async recordAttempt(knex: Knex, record: AttemptRecord): Promise<boolean> {
    return knex.transaction(async (trx) => {
      const updated = await trx(DELIVERIES)
        .where({ id: record.deliveryId, status: 'pending', attempts: record.attempt - 1 })
        .update({
          attempts: record.attempt,
          status: record.outcome === 'retry' ? 'pending' : record.outcome,
          next_attempt_at: record.nextRetryAt,
          last_status_code: record.statusCode,
          last_error: record.error,
          completed_at: record.outcome === 'retry' ? null : trx.fn.now(),
          updated_at: trx.fn.now(),
        });
      if (updated === 0) return false;

      await trx(ATTEMPTS).insert({
        delivery_id: record.deliveryId,
        attempt: record.attempt,
        started_at: record.startedAt,
        duration_ms: record.durationMs,
        status_code: record.statusCode,
        error: record.error,
        outcome: record.outcome,
        next_retry_at: record.nextRetryAt,
      });
      return true;
    });
  },

  async find(knex: Knex, webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    const row = (await knex(DELIVERIES)
      .where({ id: deliveryId, webhook_id: webhookId })
      .first()) as DeliveryRow | undefined;
    return row && toDelivery(row);
  },

  async findById(knex: Knex, deliveryId: string): Promise<Delivery | undefined> {
    const row = (await knex(DELIVERIES).where({ id: deliveryId }).first()) as
      DeliveryRow | undefined;
    return row && toDelivery(row);
  },

  /** A page of a webhook's deliveries, newest first, with the total. */
  async list(
    knex: Knex,
    webhookId: string,
    page: { limit: number; offset: number; status?: DeliveryStatus | undefined },
  ): Promise<{ items: Delivery[]; total: number }> {
    const base = knex(DELIVERIES).where({ webhook_id: webhookId });
    if (page.status) void base.where({ status: page.status });
    const [rows, [count]] = await Promise.all([
      base
        .clone()
        .select('*')
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(page.limit)
        .offset(page.offset) as Promise<DeliveryRow[]>,
      base.clone().count<{ count: string }[]>({ count: '*' }),
    ]);
    return { items: rows.map(toDelivery), total: Number(count?.count ?? 0) };
  },

  /** Every attempt of the given deliveries, in order, keyed by delivery id. */
  async attemptsOf(knex: Knex, deliveryIds: string[]): Promise<Map<string, DeliveryAttempt[]>> {
    const byDelivery = new Map<string, DeliveryAttempt[]>();
    if (deliveryIds.length === 0) return byDelivery;
    const rows = (await knex(ATTEMPTS)
      .whereIn('delivery_id', deliveryIds)
      .orderBy(['delivery_id', 'attempt'])) as AttemptRow[];
    for (const row of rows) {
      const list = byDelivery.get(row.delivery_id) ?? [];
      list.push(toAttempt(row));
      byDelivery.set(row.delivery_id, list);
    }
    return byDelivery;
  },

  /** Makes a finished delivery due again with `extraAttempts` more tries; undefined if pending. */
  async reschedule(
    knex: Knex,
    webhookId: string,
    deliveryId: string,
    extraAttempts: number,
  ): Promise<Delivery | undefined> {
    const [row] = (await knex(DELIVERIES)
      .where({ id: deliveryId, webhook_id: webhookId })
      .whereNot({ status: 'pending' })
      .update({
        status: 'pending',
        max_attempts: knex.raw('attempts + ?', [extraAttempts]),
        next_attempt_at: knex.fn.now(),
        completed_at: null,
        updated_at: knex.fn.now(),
      })
      .returning('*')) as DeliveryRow[];
    return row && toDelivery(row);
  },

  /** When the next scheduled delivery is due, if any. */
  async nextDueAt(knex: Knex): Promise<Date | undefined> {
    const row = (await knex(DELIVERIES)
      .where({ status: 'pending' })
      .min({ due: 'next_attempt_at' })
      .first()) as { due: Date | null } | undefined;
    return row?.due ?? undefined;
  },

  /** Deliveries not yet final (for the metrics gauge). */
  async countPending(knex: Knex): Promise<number> {
    const [row] = await knex(DELIVERIES)
      .where({ status: 'pending' })
      .count<{ count: string }[]>({ count: '*' });
    return Number(row?.count ?? 0);
  },
};
