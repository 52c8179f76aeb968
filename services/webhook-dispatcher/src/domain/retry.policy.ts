import { ExponentialBackoff, noJitterGenerator } from 'cockatiel';

/** What one attempt came to, as the HTTP client reports it. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | undefined; durationMs: number }
  | {
      kind: 'error';
      /** `forbidden` and `invalid_url` can never succeed; the others may on a later try. */
      code: 'timeout' | 'connection' | 'forbidden' | 'invalid_url';
      message: string;
      durationMs: number;
    };

/** What to do with a delivery after an attempt. */
export type AttemptDecision =
  | { kind: 'succeeded' }
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'dead'; reason: string };

/** How retries are spaced; from `WEBHOOK_RETRY_*`. */
export interface RetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Status codes worth another try: the server was busy or failed, not the request. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** True when a result says "try again later" (also what the circuit breaker counts). */
export function isTransient(result: AttemptResult): boolean {
  if (result.kind === 'error') return result.code === 'timeout' || result.code === 'connection';
  return result.status >= 500 || RETRYABLE_STATUS.has(result.status);
}

/** Jitter takes up to this share off each delay, so replicas do not retry in lockstep. */
const JITTER = 0.25;

/**
 * The capped exponential backoff with jitter before the attempt after `failedAttempt`
 * (1-based): cockatiel's capped exponential delay base·2^(n-1), less up to a quarter at
 * random. The n-th delay lies in [0.75, 1)·base·2^(n-1), so, until the cap, every delay is
 * clearly longer than the one before — the ranges of two neighbours never touch.
 */
export function backoffDelay(
  settings: RetrySettings,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  let backoff = new ExponentialBackoff({
    generator: noJitterGenerator,
    initialDelay: settings.baseDelayMs,
    maxDelay: settings.maxDelayMs,
  }).next();
  for (let attempt = 1; attempt < failedAttempt; attempt += 1) backoff = backoff.next(undefined);
  return Math.round(backoff.duration * (1 - JITTER * random()));
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;

  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(result: AttemptResult): string {
  return result.kind === 'response' ? `HTTP ${result.status}` : `${result.code}: ${result.message}`;
}

/**
 * The retry policy in one place: 2xx succeeds; connection errors, timeouts, 5xx, 408, 425 and
 * 429 are retried (a `Retry-After` lengthens the wait, never shortens it) until `maxAttempts`;
 * every other answer, redirects included (they are not followed), is final.
 */
export function decide(
  result: AttemptResult,
  attempt: number,
  maxAttempts: number,
  settings: RetrySettings,
): AttemptDecision {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
    return { kind: 'succeeded' };
  }

  const reason = describe(result);
  if (!isTransient(result)) return { kind: 'dead', reason };
  if (attempt >= maxAttempts) return { kind: 'dead', reason: `${reason}; no attempts left` };

  const backoff = backoffDelay(settings, attempt);
  const asked = result.kind === 'response' ? parseRetryAfter(result.retryAfter) : undefined;
  const delayMs = Math.min(Math.max(backoff, asked ?? 0), settings.maxDelayMs);
  return { kind: 'retry', delayMs, reason };
}
