import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '@readur/errors';

/** Failed sign-ins allowed per account and per client address within one window. */
export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/** Counts failed sign-ins in PostgreSQL, so every replica of the service sees the same counts. */
export interface LoginThrottle {
  /** Throws 429 `LOGIN_THROTTLED` when the account or the address is over its limit. */
  check(account: string, address: string): Promise<void>;
  /** Counts a failure against both. */
  recordFailure(account: string, address: string): Promise<void>;
  /** Clears the account's count after a successful sign-in. */
  recordSuccess(account: string): Promise<void>;
}

const TABLE = 'login_throttle';

function throttled(msBeforeNext: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('LOGIN_THROTTLED', 'Too many failed sign-in attempts; try again later', 429, {
    details: { retry_after_seconds: retryAfter },
  });
}

/** The login throttle over the `login_throttle` table (created by the migrations). */
export function createLoginThrottle(db: Knex, settings: ThrottleSettings): LoginThrottle {
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterPostgres({
      storeClient: db,
      storeType: 'knex',
      tableName: TABLE,
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration: settings.windowSeconds,
    });
  const byAccount = limiter('account', settings.maxFailuresPerAccount);
  const byAddress = limiter('address', settings.maxFailuresPerAddress);
  const accountKey = (account: string) => account.trim().toLowerCase();

  return {
    check: async (account, address) => {
      const [accountState, addressState] = await Promise.all([
        byAccount.get(accountKey(account)),
        byAddress.get(address),
      ]);
      const over = [
        { state: accountState, limit: settings.maxFailuresPerAccount },
        { state: addressState, limit: settings.maxFailuresPerAddress },
      ].filter(({ state, limit }) => state !== null && state.consumedPoints >= limit);
      if (over.length === 0) return;

      throw throttled(Math.max(...over.map(({ state }) => state?.msBeforeNext ?? 1000)));
    },
    recordFailure: async (account, address) => {
      // A full limiter rejects with its state instead of a count; the next check answers 429.
      const absorbFull = (error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      };
      await Promise.all([
        byAccount.consume(accountKey(account)).catch(absorbFull),
        byAddress.consume(address).catch(absorbFull),
      ]);
    },
    recordSuccess: async (account) => {
      await byAccount.delete(accountKey(account));
    },
  };
}
