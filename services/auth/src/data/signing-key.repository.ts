import type { Knex } from 'knex';
import type { JWK } from 'jose';

/** A stored signing key pair. */
export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  public_jwk: JWK;
  private_key_pem: string;
  created_at: Date;
  expires_at: Date | null;
}

// Any constant works; it only has to be the same in every replica of this service.
const KEY_CREATION_LOCK = 72_731_001;

const ACTIVE = 'expires_at IS NULL OR expires_at > now()';

/** All SQL on the `signing_keys` table. */
export class SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  /** Keys that are still published: not expired, newest first. */
  async listActive(): Promise<SigningKeyRow[]> {
    return this.db<SigningKeyRow>('signing_keys').whereRaw(ACTIVE).orderBy('created_at', 'desc');
  }

  /**
   * Returns the newest active key, creating one with `create` when there is none. An advisory
   * lock makes replicas that start together agree on a single key.
   */
  async ensureActive(
    create: () => Promise<Omit<SigningKeyRow, 'created_at' | 'expires_at'>>,
  ): Promise<SigningKeyRow> {
    return this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [KEY_CREATION_LOCK]);
      const existing = await trx<SigningKeyRow>('signing_keys')
        .whereRaw(ACTIVE)
        .orderBy('created_at', 'desc')
        .first();
      if (existing) return existing;

      const key = await create();
      const [row] = await trx<SigningKeyRow>('signing_keys').insert(key).returning('*');
      if (!row) throw new Error('signing key insert returned no row');
      return row;
    });
  }
}
