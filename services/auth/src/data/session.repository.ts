import type { Knex } from 'knex';
import type { Role } from '../domain/user.model';

/** How a session was started. */
export type SessionMethod = 'password' | 'oidc';

/** A new session: the family every refresh token of one sign-in belongs to. */
export interface NewSession {
  id: string;
  userId: string;
  method: SessionMethod;
  expiresAt: Date;
  oidcIssuer?: string | undefined;
  oidcSubject?: string | undefined;
  oidcSid?: string | undefined;
}

/** A stored refresh token, read while its row is locked. */
export interface RefreshTokenRow {
  token_hash: string;
  session_id: string;
  expires_at: Date;
  used_at: Date | null;
}

/** A session that still grants access, with the current state of its user. */
export interface ActiveSession {
  sessionId: string;
  userId: string;
  username: string;
  role: Role;
}

const ACTIVE_SESSION = 's.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL';

/** All SQL on `sessions` and `refresh_tokens`. */
export class SessionRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts a session inside `trx`. */
  async insert(trx: Knex.Transaction, session: NewSession): Promise<void> {
    await trx('sessions').insert({
      id: session.id,
      user_id: session.userId,
      method: session.method,
      expires_at: session.expiresAt,
      oidc_issuer: session.oidcIssuer ?? null,
      oidc_subject: session.oidcSubject ?? null,
      oidc_sid: session.oidcSid ?? null,
    });
  }

  /** Stores the hash of a new refresh token of `sessionId`. */
  async insertRefreshToken(
    trx: Knex.Transaction,
    token: { hash: string; sessionId: string; expiresAt: Date },
  ): Promise<void> {
    await trx('refresh_tokens').insert({
      token_hash: token.hash,
      session_id: token.sessionId,
      expires_at: token.expiresAt,
    });
  }

  /** The refresh token with this hash, locked until `trx` ends. */
  async lockRefreshToken(
    trx: Knex.Transaction,
    hash: string,
  ): Promise<RefreshTokenRow | undefined> {
    return trx<RefreshTokenRow>('refresh_tokens').where({ token_hash: hash }).forUpdate().first();
  }

  /** Marks a refresh token as spent. */
  async markRefreshTokenUsed(trx: Knex.Transaction, hash: string): Promise<void> {
    await trx('refresh_tokens').where({ token_hash: hash }).update({ used_at: trx.fn.now() });
  }

  /** The session and its user when the session still grants access. */
  async findActive(
    sessionId: string,
    trx: Knex | Knex.Transaction = this.db,
  ): Promise<ActiveSession | undefined> {
    const row = await trx('sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .select('s.id as session_id', 'u.id as user_id', 'u.username', 'u.role')
      .where('s.id', sessionId)
      .whereRaw(ACTIVE_SESSION)
      .first<{ session_id: string; user_id: string; username: string; role: Role } | undefined>();
    if (!row) return undefined;
    return {
      sessionId: row.session_id,
      userId: row.user_id,
      username: row.username,
      role: row.role,
    };
  }

  /** Revokes one session (the whole refresh-token family); true when it was still live. */
  async revoke(trx: Knex | Knex.Transaction, sessionId: string, reason: string): Promise<boolean> {
    const changed = await trx('sessions')
      .where({ id: sessionId })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now(), revoked_reason: reason });
    return changed > 0;
  }

  /** Revokes every live session of a user; returns how many. */
  async revokeAllOfUser(trx: Knex.Transaction, userId: string, reason: string): Promise<number> {
    return trx('sessions')
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now(), revoked_reason: reason });
  }

  /**
   * Revokes the sessions a provider's logout token names: by its `sid` when given, else every
   * session of the subject. Returns how many.
   */
  async revokeOidcSessions(
    trx: Knex.Transaction,
    identity: { issuer: string; subject?: string | undefined; sid?: string | undefined },
    reason: string,
  ): Promise<number> {
    const query = trx('sessions').where({ oidc_issuer: identity.issuer }).whereNull('revoked_at');
    if (identity.sid) query.andWhere({ oidc_sid: identity.sid });
    if (identity.subject) query.andWhere({ oidc_subject: identity.subject });
    return query.update({ revoked_at: trx.fn.now(), revoked_reason: reason });
  }
}
