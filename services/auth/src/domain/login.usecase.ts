import { AppError } from '@readur/errors';
import type { AuthDeps } from './auth.deps';
import { verifyPassword } from './password.service';
import { startSession, type Session } from './session.service';

/** Credentials, already shape-checked at the edge; `login` is a username or an e-mail. */
export interface Credentials {
  login: string;
  password: string;
  /** The caller's network address, for the per-address throttle. */
  address: string;
}

const invalidCredentials = () =>
  new AppError('INVALID_CREDENTIALS', 'Invalid username or password', 401);

/**
 * Password sign-in. An unknown user and a wrong password give the same error after the same
 * work, so the answer does not reveal which accounts exist. Failures are counted per account
 * and per address; over either limit the answer is 429 before any password is checked.
 */
export async function login(deps: AuthDeps, credentials: Credentials): Promise<Session> {
  if (!deps.policy.allowLocalAuth) {
    throw new AppError('LOCAL_AUTH_DISABLED', 'Password sign-in is disabled', 403);
  }
  await deps.throttle.check(credentials.login, credentials.address);

  const user = await deps.users.findByLogin(credentials.login);
  const valid = await verifyPassword(user?.passwordHash ?? null, credentials.password);
  if (!user || !valid) {
    await deps.throttle.recordFailure(credentials.login, credentials.address);
    throw invalidCredentials();
  }
  if (user.disabledAt) throw new AppError('ACCOUNT_DISABLED', 'This account is disabled', 403);

  await deps.throttle.recordSuccess(credentials.login);
  const session = await startSession(deps, user, 'password');
  deps.logger.info('user logged in', { user_id: user.id, method: 'password' });
  return session;
}
