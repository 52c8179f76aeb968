import type { Knex } from 'knex';
import { AppError } from '@readur/errors';
import type { OidcLoginRepository } from '../data/oidc-login.repository';
import { uniqueViolation } from '../data/user.repository';
import type { AuthDeps } from './auth.deps';
import type { OidcClient, OidcIdentity } from './oidc.client';
import { insertUser } from './registration.usecase';
import { mapRole, type RoleMapping } from './role.mapping';
import { endSession, startSession, type Session } from './session.service';
import type { Role, User } from './user.model';

/** What single sign-on needs besides the common auth dependencies. */
export interface OidcDeps extends AuthDeps {
  oidc: OidcClient;
  oidcLogins: OidcLoginRepository;
  oidcPolicy: { autoRegister: boolean; roleMapping: RoleMapping };
}

/** A redirect to the provider may come back within this time. */
export const OIDC_LOGIN_MAX_AGE_SECONDS = 600;

const invalidState = () =>
  new AppError('OIDC_STATE_INVALID', 'The sign-on attempt is unknown, used or expired', 400);

/** Starts a sign-on: remembers state, nonce and PKCE verifier, returns where to send the user. */
export async function startOidcLogin(deps: OidcDeps): Promise<{ url: string; state: string }> {
  const request = await deps.oidc.authorizationRequest();
  await deps.oidcLogins.insert(request);
  await deps.oidcLogins.deleteOlderThan(OIDC_LOGIN_MAX_AGE_SECONDS);
  return { url: request.url, state: request.state };
}

function candidateUsername(claims: Record<string, unknown>, subject: string): string {
  const raw = [claims.preferred_username, claims.email, claims.name, subject].find(
    (value): value is string => typeof value === 'string' && value.length > 0,
  ) as string;
  const local = raw.includes('@') ? raw.slice(0, raw.indexOf('@')) : raw;
  return (local.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 48) || 'user').padEnd(3, '_');
}

async function freeUsername(deps: OidcDeps, trx: Knex.Transaction, wanted: string) {
  for (let suffix = 1; ; suffix += 1) {
    const name = suffix === 1 ? wanted : `${wanted}-${suffix}`;
    if (!(await deps.users.usernameTaken(name, trx))) return name;
  }
}

async function applyRole(deps: OidcDeps, trx: Knex.Transaction, user: User, role?: Role) {
  if (!role || role === user.role) return user;
  if (user.role === 'admin' && !user.disabledAt) {
    if ((await deps.users.lockAndCountActiveAdmins(trx)) <= 1) {
      deps.logger.warn('provider roles would remove the last admin; kept', { user_id: user.id });
      return user;
    }
  }
  return (await deps.users.update(trx, user.id, { role })) ?? user;
}

/** A verified e-mail of the identity that no other account uses yet, else null. */
async function freeVerifiedEmail(deps: OidcDeps, trx: Knex.Transaction, identity: OidcIdentity) {
  const { email, email_verified: verified } = identity.claims;
  if (typeof email !== 'string' || verified !== true) return null;
  return (await deps.users.findByEmail(email, trx)) ? null : email;
}

/**
 * The account of a provider identity: the one linked to (issuer, subject); else a local
 * account with the same e-mail when the provider says it is verified (then linked); else a new
 * account when auto-registration is on. The role claim is applied at every sign-in.
 */
async function resolveUser(deps: OidcDeps, identity: OidcIdentity): Promise<User> {
  const role = mapRole(identity.claims, deps.oidcPolicy.roleMapping);
  return deps.db.transaction(async (trx) => {
    const linked = await deps.users.findByOidcIdentity(identity.issuer, identity.subject, trx);
    if (linked) return applyRole(deps, trx, linked, role);

    const { email, email_verified: verified } = identity.claims;
    if (typeof email === 'string' && verified === true) {
      const local = await deps.users.findByEmail(email, trx);
      if (local && !local.oidcSubject) {
        const changes = { oidcIssuer: identity.issuer, oidcSubject: identity.subject };
        const updated = (await deps.users.update(trx, local.id, changes)) ?? local;
        return applyRole(deps, trx, updated, role);
      }
    }

    if (!deps.oidcPolicy.autoRegister) {
      throw new AppError('OIDC_ACCOUNT_NOT_FOUND', 'No account is linked to this sign-on', 403);
    }
    const username = await freeUsername(
      deps,
      trx,
      candidateUsername(identity.claims, identity.subject),
    );
    return insertUser(deps, trx, {
      username,
      email: await freeVerifiedEmail(deps, trx, identity),
      role: role ?? 'user',
      oidcIssuer: identity.issuer,
      oidcSubject: identity.subject,
    });
  });
}

/**
 * Finishes a sign-on: the state must match the one this browser was given (cookie) and be
 * pending (single use); openid-client checks the code, PKCE, nonce and the ID token.
 */
export async function finishOidcLogin(
  deps: OidcDeps,
  callbackUrl: URL,
  browserState: string | undefined,
): Promise<Session> {
  const state = callbackUrl.searchParams.get('state');
  if (!state || state !== browserState) throw invalidState();
  const pending = await deps.oidcLogins.take(state, OIDC_LOGIN_MAX_AGE_SECONDS);
  if (!pending) throw invalidState();

  const identity = await deps.oidc.finish(callbackUrl, pending);
  const user = await resolveUser(deps, identity).catch((error: unknown) => {
    if (uniqueViolation(error)) throw new AppError('OIDC_ACCOUNT_CONFLICT', 'Account clash', 409);
    throw error;
  });
  if (user.disabledAt) throw new AppError('ACCOUNT_DISABLED', 'This account is disabled', 403);

  const session = await startSession(deps, user, 'oidc', {
    issuer: identity.issuer,
    subject: identity.subject,
    sid: identity.sid,
  });
  deps.logger.info('user logged in', { user_id: user.id, method: 'oidc', role: user.role });
  return session;
}

/** Back-channel logout: revokes the sessions the provider's logout token names. */
export async function backchannelLogout(deps: OidcDeps, logoutToken: string): Promise<number> {
  const notice = await deps.oidc.verifyLogoutToken(logoutToken);
  const revoked = await deps.db.transaction((trx) =>
    deps.sessions.revokeOidcSessions(trx, notice, 'backchannel_logout'),
  );
  deps.logger.info('back-channel logout', { revoked_sessions: revoked });
  return revoked;
}

/** Signs out here, and returns the provider's logout page when it has one (RP-initiated). */
export async function oidcLogout(deps: OidcDeps, sessionId: string | undefined) {
  if (sessionId) await endSession(deps, sessionId);
  return deps.oidc.endSessionUrl();
}
