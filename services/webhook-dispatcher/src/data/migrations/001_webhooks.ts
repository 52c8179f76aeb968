import type { Knex } from 'knex';

/**
 * Subscriptions, their deliveries and every attempt. A delivery is one event for one webhook
 * (unique per pair, so a redelivered bus message adds nothing); `next_attempt_at` is the
 * due time the delivery worker polls with `FOR UPDATE SKIP LOCKED`, which is what makes
 * scheduled retries survive a restart.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE webhooks (
      id text PRIMARY KEY,
      user_id uuid,
      owner_role text NOT NULL CHECK (owner_role IN ('admin', 'user', 'operator')),
      url text NOT NULL,
      events text[] NOT NULL,
      description text NOT NULL DEFAULT '',
      enabled boolean NOT NULL DEFAULT true,
      secret_ciphertext text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((owner_role = 'operator') = (user_id IS NULL))
    )
  `);
  await knex.raw('CREATE INDEX webhooks_user_idx ON webhooks (user_id)');

  await knex.raw(`
    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      webhook_id text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event_id uuid NOT NULL,
      event text NOT NULL,
      correlation_id text,
      body text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL CHECK (max_attempts > 0),
      next_attempt_at timestamptz,
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      UNIQUE (webhook_id, event_id)
    )
  `);
  await knex.raw(`
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending'
  `);
  await knex.raw(
    'CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC)',
  );

  await knex.raw(`
    CREATE TABLE webhook_delivery_attempts (
      delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt integer NOT NULL CHECK (attempt > 0),
      started_at timestamptz NOT NULL,
      duration_ms integer NOT NULL,
      status_code integer,
      error text,
      outcome text NOT NULL CHECK (outcome IN ('succeeded', 'retry', 'dead')),
      next_retry_at timestamptz,
      PRIMARY KEY (delivery_id, attempt)
    )
  `);
}

/** Drops the tables of `up`. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS webhook_delivery_attempts');
  await knex.raw('DROP TABLE IF EXISTS webhook_deliveries');
  await knex.raw('DROP TABLE IF EXISTS webhooks');
}
