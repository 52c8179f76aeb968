import type { RetryPolicy } from './bus.types';

/** Used when a subscription declares no retry policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoffMs: [1_000, 5_000, 30_000] };

/** The delay before the attempt after `failedAttempt` (1-based). */
export function backoffFor(policy: RetryPolicy, failedAttempt: number): number {
  const steps = policy.backoffMs.length > 0 ? policy.backoffMs : [0];
  return steps[Math.min(failedAttempt, steps.length) - 1] ?? 0;
}

/** Every distinct delay of a policy (RabbitMQ declares one delay queue per value). */
export function backoffSteps(policy: RetryPolicy): number[] {
  const steps = new Set<number>();
  for (let attempt = 1; attempt < policy.maxAttempts; attempt += 1) {
    steps.add(backoffFor(policy, attempt));
  }
  return [...steps];
}
