import type { Logger } from '@readur/logger';
import type { Transport } from './bus.types';
import { withTimeout } from './message.consumer';

/** How often consumer lag is read from the broker unless `BusDeps.lagIntervalMs` says. */
export const DEFAULT_LAG_INTERVAL_MS = 15_000;
// Longest wait for one sample (and for the one in progress when the bus closes).
const SAMPLE_TIMEOUT_MS = 5_000;

/** A running lag sampler; `stop` clears its timer and waits for a sample in progress. */
export interface LagSampler {
  stop(): Promise<void>;
}

/**
 * Runs `sample` every `intervalMs` after the last one ended or timed out, off the message path. The timer is unref'd
 * so it never keeps a process alive, and `stop` clears it so no sample starts after a close
 * (a late Kafka sample would reconnect the admin client). A failed sample leaves the gauge at
 * its last value and is logged at debug: an unreachable broker is readiness's to report.
 */
export function startLagSampler(
  sample: () => Promise<void>,
  options: { intervalMs: number; transport: Transport; logger: Logger },
): LagSampler {
  const { intervalMs, transport, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> | undefined;
  let stopped = false;
  const notSampled = (error: unknown): void => {
    logger.debug('bus consumer lag not sampled', { transport, error: String(error) });
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const tick = () => {
    const current = sample()
      .catch(notSampled)
      .finally(() => {
        if (sampling === current) sampling = undefined;
      });
    sampling = current;
    // A broker that does not answer in time is sampled again at the next interval.
    void withTimeout(current, SAMPLE_TIMEOUT_MS, () => new Error('no answer in time'))
      .catch(notSampled)
      .finally(schedule);
  };

  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // The sample itself, not only the timeout around it: no broker call of the sampler may
      // outlive a close. Bounded, so a hung broker cannot hold the close up for ever.
      if (sampling) {
        await withTimeout(sampling, SAMPLE_TIMEOUT_MS, () => new Error('timeout')).catch(
          notSampled,
        );
      }
    },
  };
}
