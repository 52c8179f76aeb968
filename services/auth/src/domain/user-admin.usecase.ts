import type { Knex } from 'knex';
import { AppError, conflict, notFound } from '@readur/errors';
import { uniqueViolation, type UserChanges, type UserPage } from '../data/user.repository';
import type { AuthDeps } from './auth.deps';
import { assertStrongPassword, hashPassword } from './password.service';
import { insertUser, type Registration } from './registration.usecase';
import { revokeEverything } from './session.service';
import type { Role, User } from './user.model';

type Deps = Pick<AuthDeps, 'db' | 'users' | 'sessions' | 'apiKeys' | 'writeEvent' | 'logger'>;

/** An admin's change to a user, shape-checked at the edge. */
export interface UserPatch {
  email?: string | null | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}

const lastAdmin = () =>
  conflict('LAST_ADMIN', 'The last enabled admin cannot be deleted, disabled or demoted');

function rethrowDuplicate(error: unknown): never {
  const constraint = uniqueViolation(error);
  if (!constraint) throw error;
  throw constraint.includes('email')
    ? conflict('EMAIL_TAKEN', 'E-mail address is already registered')
    : conflict('USERNAME_TAKEN', 'Username is already taken');
}

/** Whether `patch` takes admin rights away from `user`. */
function removesAdmin(user: User, patch: UserPatch): boolean {
  if (user.role !== 'admin' || user.disabledAt) return false;
  return patch.role === 'user' || patch.disabled === true;
}

async function guardLastAdmin(deps: Deps, trx: Knex.Transaction): Promise<void> {
  if ((await deps.users.lockAndCountActiveAdmins(trx)) <= 1) throw lastAdmin();
}

/** Users, a page at a time. */
export function listUsers(deps: Deps, page: { limit: number; offset: number }): Promise<UserPage> {
  return deps.users.list(page);
}

/** One user; 404 `USER_NOT_FOUND`. */
export async function getUser(deps: Deps, id: string): Promise<User> {
  const user = await deps.users.findById(id);
  if (!user) throw notFound('user');
  return user;
}

/** Creates a user with a role (registration switches do not apply to admins). */
export async function createUser(deps: Deps, input: Registration & { role: Role }): Promise<User> {
  assertStrongPassword(input.password, input.username);
  try {
    const user = await deps.db.transaction((trx) => insertUser(deps, trx, input));
    deps.logger.info('user created by an admin', { user_id: user.id, role: user.role });
    return user;
  } catch (error) {
    return rethrowDuplicate(error);
  }
}

/**
 * Changes e-mail, role, password or the disabled flag. Disabling or a new password revokes
 * every session and key of the user; the last enabled admin cannot be disabled or demoted.
 */
export async function updateUser(deps: Deps, id: string, patch: UserPatch): Promise<User> {
  try {
    return await deps.db.transaction(async (trx) => {
      const user = await deps.users.findById(id, trx);
      if (!user) throw notFound('user');
      if (removesAdmin(user, patch)) await guardLastAdmin(deps, trx);

      const changes: UserChanges = { email: patch.email, role: patch.role };
      if (patch.disabled !== undefined) changes.disabledAt = patch.disabled ? new Date() : null;
      if (patch.password !== undefined) {
        assertStrongPassword(patch.password, user.username);
        changes.passwordHash = await hashPassword(patch.password);
      }
      const updated = await deps.users.update(trx, id, changes);
      if (!updated) throw notFound('user');

      if (patch.disabled === true || patch.password !== undefined) {
        await revokeEverything(deps, trx, id, patch.disabled ? 'disabled' : 'password_reset');
      }
      return updated;
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    return rethrowDuplicate(error);
  }
}

/** Deletes a user with their sessions and keys; the last enabled admin cannot be deleted. */
export async function deleteUser(deps: Deps, id: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const user = await deps.users.findById(id, trx);
    if (!user) throw notFound('user');
    if (user.role === 'admin' && !user.disabledAt) await guardLastAdmin(deps, trx);

    await deps.users.delete(trx, id);
  });
  deps.logger.info('user deleted', { user_id: id });
}
