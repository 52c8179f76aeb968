import type { Knex } from 'knex';
import type { AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { ApiKeyRepository } from '../data/api-key.repository';
import type { SessionRepository } from '../data/session.repository';
import type { UserRepository } from '../data/user.repository';
import type { LoginThrottle } from './login.throttle';
import type { TokenService } from './token.service';

/** Writes an event into the outbox inside the caller's transaction. */
export type EventWriter = (trx: Knex.Transaction, envelope: AnyEnvelope) => Promise<void>;

/** Which sign-in methods are switched on. */
export interface AuthPolicy {
  allowRegistration: boolean;
  allowLocalAuth: boolean;
  /** Lifetime of one refresh token; each use issues a new one. */
  refreshTokenTtlSeconds: number;
  /** A session ends this long after sign-in however often it is refreshed. */
  sessionMaxAgeSeconds: number;
}

/** What the auth use cases work with; each one names the parts it uses. */
export interface AuthDeps {
  db: Knex;
  users: UserRepository;
  sessions: SessionRepository;
  apiKeys: ApiKeyRepository;
  tokens: TokenService;
  throttle: LoginThrottle;
  writeEvent: EventWriter;
  policy: AuthPolicy;
  logger: Logger;
}
