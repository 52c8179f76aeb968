import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '@readur/logger';

/** A cache of search answers; `disabled` when `REDIS_ENABLED` is false. */
export interface SearchCache {
  /** The cached value of `key`, or undefined on a miss or when Redis is unavailable. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` for the TTL; failures are logged and ignored. */
  set(key: string, value: unknown): Promise<void>;
  /** A stable key of one user's request at one generation of their documents. */
  key(kind: string, userId: string, generation: number, input: unknown): string;
  /** True when answers may come from the cache. */
  enabled: boolean;
  close(): Promise<void>;
}

/** Settings of the Redis cache. */
export interface SearchCacheOptions {
  url: string;
  keyPrefix: string;
  ttlSeconds: number;
  logger: Logger;
}

const DATE_FIELDS = new Set(['created_at', 'updated_at']);

/** Document timestamps come back as `Date`s, as the repositories return them. */
const reviveDates = (key: string, value: unknown): unknown =>
  DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;

const digest = (input: unknown): string =>
  createHash('sha256').update(JSON.stringify(input)).digest('base64url').slice(0, 32);

/**
 * A cache that never hits: search runs unchanged without Redis.
 */
export const disabledSearchCache: SearchCache = {
  enabled: false,
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  key: () => '',
  close: () => Promise.resolve(),
};

/**
 * Result pages in Redis under `<prefix>search:<user>:<generation>:<digest>`. Invalidation is
 * by generation: a trigger bumps a user's generation whenever one of their documents changes,
 * so older keys are never read again and expire with their TTL. Redis being down costs a
 * logged warning, never a failed search.
 */
export function redisSearchCache(options: SearchCacheOptions): SearchCache {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 500,
  });
  let warned = false;
  redis.on('error', (error: unknown) => {
    if (warned) return;
    warned = true;
    options.logger.warn('search cache unavailable; searching without it', { error });
  });
  redis.on('ready', () => {
    warned = false;
  });

  const quietly = async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await action();
    } catch (error) {
      options.logger.debug('search cache command failed', { error });
      return undefined;
    }
  };

  return {
    enabled: true,
    key: (kind, userId, generation, input) =>
      `search:${userId}:${generation}:${kind}:${digest(input)}`,
    get: async <T>(key: string) => {
      const raw = await quietly(() => redis.get(key));
      return raw ? (JSON.parse(raw, reviveDates) as T) : undefined;
    },
    set: async (key, value) => {
      await quietly(() => redis.set(key, JSON.stringify(value), 'EX', options.ttlSeconds));
    },
    close: async () => {
      await quietly(() => redis.quit());
      redis.disconnect();
    },
  };
}
