import {
  backoffDelay,
  decide,
  type AttemptDecision,
  type AttemptResult,
} from '../src/domain/retry.policy';

describe('the webhook backoff', () => {
  const settings = { baseDelayMs: 1_000, maxDelayMs: 5_000 };

  it('when attempts fail in a row, then each delay range lies wholly above the one before', () => {
    const lowest = (attempt: number) => backoffDelay(settings, attempt, () => 0.999_999);
    const highest = (attempt: number) => backoffDelay(settings, attempt, () => 0);

    expect([1, 2, 3].map(highest)).toEqual([1_000, 2_000, 4_000]);
    expect([1, 2, 3].map(lowest)).toEqual([750, 1_500, 3_000]);
    expect(lowest(2)).toBeGreaterThan(highest(1));
    expect(lowest(3)).toBeGreaterThan(highest(2));
  });

  it('when the exponential delay passes the cap, then the cap (less jitter) applies', () => {
    expect(backoffDelay(settings, 10, () => 0)).toBe(5_000);
    expect(backoffDelay(settings, 10, () => 0.5)).toBe(4_375);
  });
});

describe('the retry decision after an attempt', () => {
  const settings = { baseDelayMs: 1_000, maxDelayMs: 60_000 };
  const response = (status: number, retryAfter?: string): AttemptResult => ({
    kind: 'response',
    status,
    retryAfter,
    durationMs: 5,
  });
  const failure = (
    code: 'timeout' | 'connection' | 'forbidden' | 'invalid_url',
  ): AttemptResult => ({
    kind: 'error',
    code,
    message: 'what the client said',
    durationMs: 5,
  });
  const kindOf = (decision: AttemptDecision) => decision.kind;

  it.each([
    ['200', response(200), 'succeeded'],
    ['201', response(201), 'succeeded'],
    ['204', response(204), 'succeeded'],
    ['408 Request Timeout', response(408), 'retry'],
    ['425 Too Early', response(425), 'retry'],
    ['429 Too Many Requests', response(429), 'retry'],
    ['500', response(500), 'retry'],
    ['502', response(502), 'retry'],
    ['503', response(503), 'retry'],
    ['504', response(504), 'retry'],
    ['a timeout', failure('timeout'), 'retry'],
    ['a refused or reset connection', failure('connection'), 'retry'],
    ['400', response(400), 'dead'],
    ['401', response(401), 'dead'],
    ['403', response(403), 'dead'],
    ['404', response(404), 'dead'],
    ['409', response(409), 'dead'],
    ['410 Gone', response(410), 'dead'],
    ['413', response(413), 'dead'],
    ['422', response(422), 'dead'],
    ['301 (redirects are not followed)', response(301), 'dead'],
    ['302', response(302), 'dead'],
    ['303', response(303), 'dead'],
    ['307', response(307), 'dead'],
    ['308', response(308), 'dead'],
    ['304', response(304), 'dead'],
    ['a refused address', failure('forbidden'), 'dead'],
    ['an invalid URL', failure('invalid_url'), 'dead'],
  ])('when the first of 3 attempts ends in %s, then the delivery is %s', (_name, result, kind) => {
    expect(kindOf(decide(result, 1, 3, settings))).toBe(kind);
  });

  it('when a final answer is not 2xx, then the reason names the status or the error', () => {
    expect(decide(response(302), 1, 3, settings)).toEqual({ kind: 'dead', reason: 'HTTP 302' });
    expect(decide(response(410), 1, 3, settings)).toEqual({ kind: 'dead', reason: 'HTTP 410' });
    expect(decide(failure('forbidden'), 1, 3, settings)).toEqual({
      kind: 'dead',
      reason: 'forbidden: what the client said',
    });
  });

  it('when a retryable answer comes on the last attempt, then the delivery is dead with no attempts left', () => {
    expect(decide(response(503), 3, 3, settings)).toEqual({
      kind: 'dead',
      reason: 'HTTP 503; no attempts left',
    });
    expect(decide(failure('connection'), 1, 1, settings)).toMatchObject({ kind: 'dead' });
  });

  it('when a retry is due, then it waits the backoff, a longer Retry-After, and never past the cap', () => {
    const delayOf = (result: AttemptResult, attempt = 1) => {
      const decision = decide(result, attempt, 10, settings);
      return decision.kind === 'retry' ? decision.delayMs : undefined;
    };

    expect(delayOf(response(503))).toBeGreaterThanOrEqual(750);
    expect(delayOf(response(503))).toBeLessThanOrEqual(1_000);
    expect(delayOf(response(429, '30'))).toBe(30_000);
    expect(delayOf(response(503, '0'), 3)).toBeGreaterThanOrEqual(3_000);
    expect(delayOf(response(429, '7200'))).toBe(60_000);
    expect(delayOf(response(429, 'not a date'))).toBeLessThanOrEqual(1_000);
  });
});
