import { backoffDelay } from '../src/domain/retry.policy';

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
