import { notFound } from '@readur/errors';
import type { UserRepository } from '../data/user.repository';
import type { User } from './user.model';

/** The user the gateway vouched for; 404 `USER_NOT_FOUND` when the account is gone. */
export async function getCurrentUser(deps: { users: UserRepository }, id: string): Promise<User> {
  const user = await deps.users.findById(id);
  if (!user) throw notFound('user');
  return user;
}
