import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { EVENT, createEnvelope } from '@readur/contracts';
import { AppError } from '@readur/errors';
import { currentCorrelationId } from '@readur/logger';
import type { SessionMethod } from '../data/session.repository';
import type { AuthDeps } from './auth.deps';
import { hashSecret, newOpaqueSecret, type AccessToken } from './token.service';
import type { User } from './user.model';

/** The prefix of every refresh token, so a leaked one is recognisable. */
export const REFRESH_TOKEN_PREFIX = 'rdr_rt_';

/** A signed-in session: a short access token and the refresh token that renews it. */
export interface Session {
  user: User;
  sessionId: string;
  accessToken: AccessToken;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** The provider identity behind an SSO session, for back-channel logout. */
export interface OidcSessionInfo {
  issuer: string;
  subject: string;
  sid?: string | undefined;
}

type Deps = Pick<AuthDeps, 'db' | 'sessions' | 'users' | 'tokens' | 'writeEvent' | 'policy'>;

const invalidRefreshToken = () =>
  new AppError('INVALID_REFRESH_TOKEN', 'Refresh token is invalid or expired', 401);

function expiresAt(seconds: number): Date {
  return new Date(Date.now() + seconds * 1000);
}

async function newRefreshToken(deps: Deps, trx: Knex.Transaction, sessionId: string) {
  const refreshToken = newOpaqueSecret(REFRESH_TOKEN_PREFIX);
  await deps.sessions.insertRefreshToken(trx, {
    hash: hashSecret(refreshToken),
    sessionId,
    expiresAt: expiresAt(deps.policy.refreshTokenTtlSeconds),
  });
  return refreshToken;
}

/**
 * Starts a session for a user who just proved who they are: the session row (the family of
 * its refresh tokens), the first refresh token and `user.login`, in one transaction.
 */
export async function startSession(
  deps: Deps,
  user: User,
  method: SessionMethod,
  oidc?: OidcSessionInfo,
): Promise<Session> {
  const sessionId = randomUUID();
  const envelope = createEnvelope(
    EVENT.userLogin,
    {
      user_id: user.id,
      username: user.username,
      method,
      logged_in_at: new Date().toISOString(),
    },
    { correlationId: currentCorrelationId() },
  );

  const refreshToken = await deps.db.transaction(async (trx) => {
    await deps.sessions.insert(trx, {
      id: sessionId,
      userId: user.id,
      method,
      expiresAt: expiresAt(deps.policy.sessionMaxAgeSeconds),
      oidcIssuer: oidc?.issuer,
      oidcSubject: oidc?.subject,
      oidcSid: oidc?.sid,
    });
    const token = await newRefreshToken(deps, trx, sessionId);
    await deps.writeEvent(trx, envelope);
    return token;
  });

  return {
    user,
    sessionId,
    accessToken: await deps.tokens.issue(user, sessionId),
    refreshToken,
    refreshExpiresIn: deps.policy.refreshTokenTtlSeconds,
  };
}

type RefreshOutcome =
  | { kind: 'rotated'; sessionId: string; userId: string; refreshToken: string }
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

async function rotate(deps: Deps, presented: string): Promise<RefreshOutcome> {
  const hash = hashSecret(presented);
  return deps.db.transaction(async (trx): Promise<RefreshOutcome> => {
    const row = await deps.sessions.lockRefreshToken(trx, hash);
    if (!row) return { kind: 'invalid' };

    if (row.used_at) {
      // A spent token came back: someone holds a copy. End the whole family.
      await deps.sessions.revoke(trx, row.session_id, 'refresh_token_reused');
      return { kind: 'reused', sessionId: row.session_id };
    }
    if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' };

    const session = await deps.sessions.findActive(row.session_id, trx);
    if (!session) return { kind: 'invalid' };

    await deps.sessions.markRefreshTokenUsed(trx, hash);
    const refreshToken = await newRefreshToken(deps, trx, row.session_id);
    return { kind: 'rotated', sessionId: row.session_id, userId: session.userId, refreshToken };
  });
}

/**
 * Trades a refresh token for a new access token and a new refresh token. The old refresh token
 * is spent; presenting it again revokes the session and every token of its family.
 */
export async function refreshSession(deps: Deps, presented: string): Promise<Session> {
  if (!presented.startsWith(REFRESH_TOKEN_PREFIX)) throw invalidRefreshToken();

  const outcome = await rotate(deps, presented);
  if (outcome.kind === 'reused') {
    throw new AppError(
      'REFRESH_TOKEN_REUSED',
      'This refresh token was already used; the session has been revoked',
      401,
    );
  }
  if (outcome.kind === 'invalid') throw invalidRefreshToken();

  const user = await deps.users.findById(outcome.userId);
  if (!user) throw invalidRefreshToken();
  return {
    user,
    sessionId: outcome.sessionId,
    accessToken: await deps.tokens.issue(user, outcome.sessionId),
    refreshToken: outcome.refreshToken,
    refreshExpiresIn: deps.policy.refreshTokenTtlSeconds,
  };
}

/** Ends one session (sign-out). */
export async function endSession(deps: Pick<AuthDeps, 'db' | 'sessions'>, sessionId: string) {
  await deps.sessions.revoke(deps.db, sessionId, 'logout');
}

/** Revokes every session and API key of a user inside `trx` (password change, disable). */
export async function revokeEverything(
  deps: Pick<AuthDeps, 'sessions' | 'apiKeys'>,
  trx: Knex.Transaction,
  userId: string,
  reason: string,
): Promise<void> {
  await deps.sessions.revokeAllOfUser(trx, userId, reason);
  await deps.apiKeys.revokeAllOfUser(trx, userId);
}
