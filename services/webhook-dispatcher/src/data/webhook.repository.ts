import type { Knex } from 'knex';
import type { OwnerRole, Webhook } from '../domain/webhook.model';

interface WebhookRow {
  id: string;
  user_id: string | null;
  owner_role: OwnerRole;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  secret_ciphertext: string;
  created_at: Date;
  updated_at: Date;
}

/** The columns a new webhook row needs. */
export interface NewWebhook {
  id: string;
  userId: string | null;
  ownerRole: OwnerRole;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  secretCiphertext: string;
}

/** Fields a PATCH may change. */
export interface WebhookChanges {
  url?: string;
  events?: string[];
  description?: string;
  enabled?: boolean;
  ownerRole?: OwnerRole;
  secretCiphertext?: string;
}

/** Who may see rows: one user, or everyone (admins). */
export type Visibility = { userId: string } | 'all';

const TABLE = 'webhooks';

const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  userId: row.user_id,
  ownerRole: row.owner_role,
  url: row.url,
  events: row.events,
  description: row.description,
  enabled: row.enabled,
  secretCiphertext: row.secret_ciphertext,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

function visible(query: Knex.QueryBuilder, visibility: Visibility): Knex.QueryBuilder {
  return visibility === 'all' ? query : query.where({ user_id: visibility.userId });
}

/** All SQL on `webhooks`. */
export const webhookRepository = {
  async insert(knex: Knex, webhook: NewWebhook): Promise<Webhook> {
    const [row] = (await knex(TABLE)
      .insert({
        id: webhook.id,
        user_id: webhook.userId,
        owner_role: webhook.ownerRole,
        url: webhook.url,
        events: webhook.events,
        description: webhook.description,
        enabled: webhook.enabled,
        secret_ciphertext: webhook.secretCiphertext,
      })
      .returning('*')) as WebhookRow[];
    return toWebhook(row!);
  },

  /** Creates or replaces the operator's row with the id given. */
  async upsertOperator(knex: Knex, webhook: NewWebhook): Promise<void> {
    await knex(TABLE)
      .insert({
        id: webhook.id,
        user_id: null,
        owner_role: 'operator',
        url: webhook.url,
        events: webhook.events,
        description: webhook.description,
        enabled: webhook.enabled,
        secret_ciphertext: webhook.secretCiphertext,
      })
      .onConflict('id')
      .merge(['url', 'events', 'description', 'enabled', 'secret_ciphertext', 'updated_at']);
  },

  /** Which of `ids` are webhooks that exist and are enabled. */
  async enabledAmong(knex: Knex, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = (await knex(TABLE).select('id').whereIn('id', ids).where({ enabled: true })) as {
      id: string;
    }[];
    return rows.map((row) => row.id);
  },

  async disable(knex: Knex, id: string): Promise<void> {
    await knex(TABLE).where({ id }).update({ enabled: false, updated_at: knex.fn.now() });
  },

  async find(knex: Knex, id: string, visibility: Visibility): Promise<Webhook | undefined> {
    const row = (await visible(knex(TABLE).where({ id }), visibility).first()) as
      WebhookRow | undefined;
    return row && toWebhook(row);
  },

  async list(knex: Knex, visibility: Visibility): Promise<Webhook[]> {
    const rows = (await visible(knex(TABLE).select('*'), visibility).orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'asc' },
    ])) as WebhookRow[];
    return rows.map(toWebhook);
  },

  async update(knex: Knex, id: string, changes: WebhookChanges): Promise<Webhook | undefined> {
    const [row] = (await knex(TABLE)
      .where({ id })
      .update({
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.events !== undefined ? { events: changes.events } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
        ...(changes.ownerRole !== undefined ? { owner_role: changes.ownerRole } : {}),
        ...(changes.secretCiphertext !== undefined
          ? { secret_ciphertext: changes.secretCiphertext }
          : {}),
        updated_at: knex.fn.now(),
      })
      .returning('*')) as WebhookRow[];
    return row && toWebhook(row);
  },

  async remove(knex: Knex, id: string): Promise<boolean> {
    return (await knex(TABLE).where({ id }).delete()) > 0;
  },

  /**
   * The enabled webhooks an event goes to: the operator's always; for `user.*` events, admins'
   * webhooks; for every other event, the webhooks of the user the event is about.
   */
  async matching(
    knex: Knex,
    event: string,
    subjectUserId: string | undefined,
    userEvent: boolean,
  ): Promise<Webhook[]> {
    const rows = (await knex(TABLE)
      .where({ enabled: true })
      .where((match) => {
        void match.whereRaw('? = ANY(events)', [event]).orWhereRaw("'*' = ANY(events)");
      })
      .where((audience) => {
        audience.where({ owner_role: 'operator' });
        if (userEvent) audience.orWhere({ owner_role: 'admin' });
        else if (subjectUserId) audience.orWhere({ user_id: subjectUserId });
      })
      .orderBy('id')) as WebhookRow[];
    return rows.map(toWebhook);
  },
};
