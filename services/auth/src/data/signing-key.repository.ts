import type { Knex } from 'knex';
import type { JWK } from 'jose';

/** A stored signing key pair. */
export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  public_jwk: JWK;
  private_key_pem: string;
  created_at: Date;
  /** Tokens are signed with the newest key whose time has come. */
  activates_at: Date;
  /** When the public key leaves the JWKS; null while the key is current. */
  expires_at: Date | null;
}

/** A key pair as generated, before it is stored. */
export type NewSigningKey = Omit<SigningKeyRow, 'created_at' | 'activates_at' | 'expires_at'>;

/** When a rotation publishes the new key and retires the old ones. */
export interface RotationTiming {
  /** The new key is published this long before it signs, so every JWKS cache sees it first. */
  leadSeconds: number;
  /** Old keys stay published this long after the new key starts signing (the token TTL). */
  retireAfterSeconds: number;
}

// Any constant works; it only has to be the same in every replica of this service.
const KEY_CREATION_LOCK = 72_731_001;

const PUBLISHED = '(expires_at IS NULL OR expires_at > now())';

/** All SQL on the `signing_keys` table. */
export class SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  /** Keys that are published: not yet retired (including one about to start signing). */
  async listPublished(): Promise<SigningKeyRow[]> {
    return this.db<SigningKeyRow>('signing_keys')
      .whereRaw(PUBLISHED)
      .orderBy('activates_at', 'desc');
  }

  /** The key that signs now: the newest published key whose activation time has passed. */
  async current(trx: Knex | Knex.Transaction = this.db): Promise<SigningKeyRow | undefined> {
    return trx<SigningKeyRow>('signing_keys')
      .whereRaw(PUBLISHED)
      .where('activates_at', '<=', trx.fn.now())
      .orderBy('activates_at', 'desc')
      .first();
  }

  /**
   * Returns the signing key, creating one with `create` when there is none. An advisory lock
   * makes replicas that start together agree on a single key.
   */
  async ensureActive(create: () => Promise<NewSigningKey>): Promise<SigningKeyRow> {
    return this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [KEY_CREATION_LOCK]);
      const existing = await this.current(trx);
      if (existing) return existing;

      const key = await create();
      const [row] = await trx<SigningKeyRow>('signing_keys').insert(key).returning('*');
      if (!row) throw new Error('signing key insert returned no row');
      return row;
    });
  }

  /**
   * Adds a new key that signs after `leadSeconds`, and schedules every older key to leave the
   * JWKS once tokens it signed have expired. With `olderThan`, rotates only when the newest
   * key was created before that time (the periodic check); returns undefined when it did not.
   */
  async rotate(
    create: () => Promise<NewSigningKey>,
    timing: RotationTiming,
    olderThan?: Date,
  ): Promise<SigningKeyRow | undefined> {
    return this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [KEY_CREATION_LOCK]);
      const newest = await trx<SigningKeyRow>('signing_keys').orderBy('created_at', 'desc').first();
      if (olderThan && newest && newest.created_at > olderThan) return undefined;

      const retireSeconds = timing.leadSeconds + timing.retireAfterSeconds;
      await trx('signing_keys')
        .whereNull('expires_at')
        .update({ expires_at: trx.raw(`now() + make_interval(secs => ?)`, [retireSeconds]) });
      const [row] = await trx<SigningKeyRow>('signing_keys')
        .insert({
          ...(await create()),
          activates_at: trx.raw(`now() + make_interval(secs => ?)`, [timing.leadSeconds]),
        })
        .returning('*');
      return row;
    });
  }
}
