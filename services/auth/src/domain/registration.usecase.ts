import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { EVENT, createEnvelope } from '@readur/contracts';
import { AppError, conflict } from '@readur/errors';
import { currentCorrelationId } from '@readur/logger';
import { uniqueViolation, type UserRepository } from '../data/user.repository';
import type { AuthDeps, EventWriter } from './auth.deps';
import { assertStrongPassword, hashPassword } from './password.service';
import type { Role, User } from './user.model';

/** A sign-up request, already shape-checked at the edge. */
export interface Registration {
  username: string;
  email?: string | undefined;
  password: string;
}

/** Any new account: a local one has a password, a single sign-on one a provider identity. */
export interface NewAccount {
  username: string;
  email?: string | null | undefined;
  password?: string | undefined;
  role: Role;
  oidcIssuer?: string | undefined;
  oidcSubject?: string | undefined;
}

function duplicateError(constraint: string): AppError {
  return constraint.includes('email')
    ? conflict('EMAIL_TAKEN', 'E-mail address is already registered')
    : conflict('USERNAME_TAKEN', 'Username is already taken');
}

/**
 * Inserts a user and its `user.created` event in `trx`. Shared by sign-up and the admin
 * bootstrap so both publish the same event.
 */
export async function insertUser(
  deps: { users: UserRepository; writeEvent: EventWriter },
  trx: Knex.Transaction,
  input: NewAccount,
): Promise<User> {
  const user = await deps.users.insert(trx, {
    id: randomUUID(),
    username: input.username,
    email: input.email ?? null,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    role: input.role,
    oidcIssuer: input.oidcIssuer,
    oidcSubject: input.oidcSubject,
  });

  const envelope = createEnvelope(
    EVENT.userCreated,
    {
      user_id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      created_at: user.createdAt.toISOString(),
    },
    { correlationId: currentCorrelationId() },
  );
  await deps.writeEvent(trx, envelope);
  return user;
}

/** Self-service sign-up: a new `user`; 409 on a taken username or e-mail. */
export async function registerUser(deps: AuthDeps, input: Registration): Promise<User> {
  if (!deps.policy.allowLocalAuth || !deps.policy.allowRegistration) {
    throw new AppError('REGISTRATION_DISABLED', 'Registration is disabled', 403);
  }
  assertStrongPassword(input.password, input.username);

  try {
    const user = await deps.db.transaction((trx) =>
      insertUser(deps, trx, { ...input, role: 'user' }),
    );
    deps.logger.info('user registered', { user_id: user.id });
    return user;
  } catch (error) {
    const constraint = uniqueViolation(error);
    if (constraint) throw duplicateError(constraint);
    throw error;
  }
}
