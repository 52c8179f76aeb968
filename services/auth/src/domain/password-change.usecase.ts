import { AppError, notFound } from '@readur/errors';
import type { AuthDeps } from './auth.deps';
import { assertStrongPassword, hashPassword, verifyPassword } from './password.service';
import { revokeEverything } from './session.service';

/** A password change by the account's owner, shape-checked at the edge. */
export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

/**
 * Changes the caller's password after checking the current one, and revokes every session and
 * API key of the account: whoever had a copy of a credential loses it.
 */
export async function changePassword(
  deps: Pick<AuthDeps, 'db' | 'users' | 'sessions' | 'apiKeys' | 'logger'>,
  userId: string,
  change: PasswordChange,
): Promise<void> {
  const user = await deps.users.findById(userId);
  if (!user) throw notFound('user');
  if (!user.passwordHash) {
    throw new AppError('NO_LOCAL_PASSWORD', 'This account signs in through single sign-on', 409);
  }
  if (!(await verifyPassword(user.passwordHash, change.currentPassword))) {
    throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong', 401);
  }
  assertStrongPassword(change.newPassword, user.username);

  const passwordHash = await hashPassword(change.newPassword);
  await deps.db.transaction(async (trx) => {
    await deps.users.update(trx, userId, { passwordHash });
    await revokeEverything(deps, trx, userId, 'password_changed');
  });
  deps.logger.info('password changed; sessions and keys revoked', { user_id: userId });
}
