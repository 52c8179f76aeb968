/** The two roles of the platform. */
export type Role = 'admin' | 'user';

/** A user as the auth service stores it; the hash never leaves the service. */
export interface User {
  id: string;
  username: string;
  email: string | null;
  role: Role;
  passwordHash: string | null;
  oidcIssuer: string | null;
  oidcSubject: string | null;
  disabledAt: Date | null;
  createdAt: Date;
}

/** The public shape of a user in every HTTP answer. */
export interface UserJson {
  id: string;
  username: string;
  email: string | null;
  role: Role;
  disabled: boolean;
  sso: boolean;
  created_at: string;
}

/** Maps a user to its public JSON shape. */
export function toUserJson(user: User): UserJson {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    disabled: user.disabledAt !== null,
    sso: user.oidcSubject !== null,
    created_at: user.createdAt.toISOString(),
  };
}
