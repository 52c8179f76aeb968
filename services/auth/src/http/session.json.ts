import type { Session } from '../domain/session.service';
import { toUserJson, type UserJson } from '../domain/user.model';

/** The answer to every successful sign-in and refresh. */
export interface SessionJson {
  token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  user: UserJson;
}

/** Maps a session to its JSON answer. */
export function toSessionJson(session: Session): SessionJson {
  return {
    token: session.accessToken.token,
    token_type: 'Bearer',
    expires_in: session.accessToken.expiresIn,
    refresh_token: session.refreshToken,
    refresh_expires_in: session.refreshExpiresIn,
    user: toUserJson(session.user),
  };
}
