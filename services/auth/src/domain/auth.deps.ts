import type { Knex } from 'knex';
import type { AnyEnvelope } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { UserRepository } from '../data/user.repository';
import type { TokenService } from './token.service';

/** Writes an event into the outbox inside the caller's transaction. */
export type EventWriter = (trx: Knex.Transaction, envelope: AnyEnvelope) => Promise<void>;

/** Which sign-in methods are switched on. */
export interface AuthPolicy {
  allowRegistration: boolean;
  allowLocalAuth: boolean;
}

/** What the auth use cases work with; each one names the parts it uses. */
export interface AuthDeps {
  db: Knex;
  users: UserRepository;
  tokens: TokenService;
  writeEvent: EventWriter;
  policy: AuthPolicy;
  logger: Logger;
}
