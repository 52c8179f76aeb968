import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '@readur/errors';

const introspection = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    kind: z.enum(['session', 'api_key']),
    user_id: z.uuid(),
    username: z.string().min(1),
    role: z.enum(['admin', 'user']),
    scope: z.enum(['read', 'read_write']),
  }),
]);

/** The auth service's answer about a session or an API key. */
export type Introspection = z.infer<typeof introspection>;

/** What is asked: the session of an access token, or a whole API key. */
export type IntrospectionQuestion = { session_id: string } | { api_key: string };

/** Asks the auth service whether a credential still grants access, with a short cache. */
export type IntrospectionClient = (question: IntrospectionQuestion) => Promise<Introspection>;

const MAX_ENTRIES = 10_000;
const TIMEOUT_MS = 5_000;

function cacheKey(question: IntrospectionQuestion): string {
  if ('session_id' in question) return `s:${question.session_id}`;
  // API keys are secrets: the cache holds only their hash.
  return `k:${createHash('sha256').update(question.api_key).digest('hex')}`;
}

/**
 * Calls `POST {authUrl}/internal/auth/introspect`. Active answers are cached for `ttlMs`, so
 * a revoked session or key, a disabled user or a changed role takes effect within that time
 * on every replica; inactive answers are not cached. 0 disables the cache.
 */
export function createIntrospectionClient(options: {
  authUrl: string;
  internalToken: string;
  ttlMs: number;
}): IntrospectionClient {
  const url = new URL('/internal/auth/introspect', options.authUrl);
  const cache = new Map<string, { until: number; answer: Introspection }>();

  const remember = (key: string, answer: Introspection) => {
    if (options.ttlMs <= 0 || !answer.active) return;
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, { until: Date.now() + options.ttlMs, answer });
  };

  return async (question) => {
    const key = cacheKey(question);
    const cached = cache.get(key);
    if (cached && cached.until > Date.now()) return cached.answer;
    cache.delete(key);

    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': options.internalToken },
        body: JSON.stringify(question),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify credentials right now', 502, {
        cause: error,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify credentials right now', 502, {
        cause: { status: response.status },
      });
    }

    const answer = introspection.parse(await response.json());
    remember(key, answer);
    return answer;
  };
}
