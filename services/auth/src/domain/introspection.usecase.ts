import type { ApiKeyRepository, ApiKeyScope } from '../data/api-key.repository';
import type { SessionRepository } from '../data/session.repository';
import { API_KEY_PREFIX } from './api-key.usecase';
import { hashSecret } from './token.service';
import type { Role } from './user.model';

/** What the gateway asks about: the session of an access token, or an API key. */
export type IntrospectionRequest = { session_id: string } | { api_key: string };

/** The answer: inactive, or who is calling with which scope, as of now. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      kind: 'session' | 'api_key';
      user_id: string;
      username: string;
      role: Role;
      scope: ApiKeyScope;
    };

/**
 * Tells the gateway whether a credential still grants access and for whom, read from the
 * database, so revoking a session or a key, disabling a user or changing a role takes effect
 * within the gateway's short cache time.
 */
export async function introspect(
  deps: { sessions: SessionRepository; apiKeys: ApiKeyRepository },
  request: IntrospectionRequest,
): Promise<Introspection> {
  if ('session_id' in request) {
    const session = await deps.sessions.findActive(request.session_id);
    if (!session) return { active: false };
    return {
      active: true,
      kind: 'session',
      user_id: session.userId,
      username: session.username,
      role: session.role,
      scope: 'read_write',
    };
  }

  if (!request.api_key.startsWith(API_KEY_PREFIX)) return { active: false };
  const key = await deps.apiKeys.findActiveByHash(hashSecret(request.api_key));
  if (!key) return { active: false };
  return {
    active: true,
    kind: 'api_key',
    user_id: key.userId,
    username: key.username,
    role: key.role,
    scope: key.scope,
  };
}
