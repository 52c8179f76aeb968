import type { Knex } from 'knex';
import type { Role } from '../domain/user.model';

/** What an API key may do: only read, or read and write. */
export type ApiKeyScope = 'read' | 'read_write';

/** A stored API key without its hash. */
export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** A key that still grants access, with the current state of its user. */
export interface ActiveApiKey {
  keyId: string;
  scope: ApiKeyScope;
  userId: string;
  username: string;
  role: Role;
}

const PUBLIC_COLUMNS = [
  'id',
  'user_id',
  'name',
  'scope',
  'prefix',
  'created_at',
  'expires_at',
  'last_used_at',
] as const;

const LIVE = 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())';

/** All SQL on `api_keys`. */
export class ApiKeyRepository {
  constructor(private readonly db: Knex) {}

  /** Stores a key by its hash. */
  async insert(key: {
    id: string;
    userId: string;
    name: string;
    scope: ApiKeyScope;
    hash: string;
    prefix: string;
    expiresAt: Date | null;
  }): Promise<ApiKeyRow> {
    const rows: ApiKeyRow[] = await this.db('api_keys')
      .insert({
        id: key.id,
        user_id: key.userId,
        name: key.name,
        scope: key.scope,
        key_hash: key.hash,
        prefix: key.prefix,
        expires_at: key.expiresAt,
      })
      .returning([...PUBLIC_COLUMNS]);
    return rows[0] as ApiKeyRow;
  }

  /** The user's keys that are neither revoked nor expired, newest first. */
  async listLive(userId: string): Promise<ApiKeyRow[]> {
    return this.db('api_keys as k')
      .select(PUBLIC_COLUMNS.map((column) => `k.${column}`))
      .where('k.user_id', userId)
      .whereRaw(LIVE)
      .orderBy('k.created_at', 'desc');
  }

  /** Revokes one of the user's keys; false when it is not theirs or already revoked. */
  async revoke(userId: string, keyId: string): Promise<boolean> {
    const changed = await this.db('api_keys')
      .where({ id: keyId, user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: this.db.fn.now() });
    return changed > 0;
  }

  /** Revokes every key of a user inside `trx`; returns how many. */
  async revokeAllOfUser(trx: Knex.Transaction, userId: string): Promise<number> {
    return trx('api_keys')
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now() });
  }

  /** The live key with this hash whose user is enabled, and records its use. */
  async findActiveByHash(hash: string): Promise<ActiveApiKey | undefined> {
    const row = await this.db('api_keys as k')
      .join('users as u', 'u.id', 'k.user_id')
      .select('k.id as key_id', 'k.scope', 'u.id as user_id', 'u.username', 'u.role')
      .where('k.key_hash', hash)
      .whereRaw(LIVE)
      .whereNull('u.disabled_at')
      .first<
        | { key_id: string; scope: ApiKeyScope; user_id: string; username: string; role: Role }
        | undefined
      >();
    if (!row) return undefined;

    await this.db('api_keys').where({ id: row.key_id }).update({ last_used_at: this.db.fn.now() });
    return {
      keyId: row.key_id,
      scope: row.scope,
      userId: row.user_id,
      username: row.username,
      role: row.role,
    };
  }
}
