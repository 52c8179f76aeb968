import { EVENT, createEnvelope } from '@readur/contracts';
import { AppError } from '@readur/errors';
import { currentCorrelationId } from '@readur/logger';
import type { AuthDeps } from './auth.deps';
import { verifyPassword } from './password.service';
import type { AccessToken } from './token.service';
import type { User } from './user.model';

/** Credentials, already shape-checked at the edge; `login` is a username or an e-mail. */
export interface Credentials {
  login: string;
  password: string;
}

/** A successful sign-in. */
export interface Session {
  user: User;
  accessToken: AccessToken;
}

const invalidCredentials = () =>
  new AppError('INVALID_CREDENTIALS', 'Invalid username or password', 401);

/**
 * Password sign-in. An unknown user and a wrong password give the same error after the same
 * work, so the answer does not reveal which accounts exist.
 */
export async function login(deps: AuthDeps, credentials: Credentials): Promise<Session> {
  if (!deps.policy.allowLocalAuth) {
    throw new AppError('LOCAL_AUTH_DISABLED', 'Password sign-in is disabled', 403);
  }

  const user = await deps.users.findByLogin(credentials.login);
  const valid = await verifyPassword(user?.passwordHash ?? null, credentials.password);
  if (!user || !valid) throw invalidCredentials();

  const accessToken = await deps.tokens.issue(user);

  const envelope = createEnvelope(
    EVENT.userLogin,
    {
      user_id: user.id,
      username: user.username,
      method: 'password',
      logged_in_at: new Date().toISOString(),
    },
    { correlationId: currentCorrelationId() },
  );
  await deps.db.transaction((trx) => deps.writeEvent(trx, envelope));
  deps.logger.info('user logged in', { user_id: user.id, method: 'password' });
  return { user, accessToken };
}
