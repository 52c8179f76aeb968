import type { Logger } from '@readur/logger';
import type { Transport } from './bus.types';
import { withTimeout } from './message.consumer';

/** How often consumer lag is read from the broker unless `BusDeps.lagIntervalMs` says. */
export const DEFAULT_LAG_INTERVAL_MS = 15_000;
// A broker that does not answer within this is sampled again at the next interval.
const SAMPLE_TIMEOUT_MS = 5_000;

/** A running lag sampler; `stop` clears its timer and waits for a sample in progress. */
export interface LagSampler {
  stop(): Promise<void>;
}

/**
 * Runs `sample` every `intervalMs`, one at a time, off the message path. The timer is unref'd
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
  let running: Promise<void> | undefined;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const tick = () => {
    running = withTimeout(sample(), SAMPLE_TIMEOUT_MS, () => new Error('no answer in time'))
      .catch((error: unknown) => {
        logger.debug('bus consumer lag not sampled', { transport, error: String(error) });
      })
      .finally(() => {
        running = undefined;
        schedule();
      });
  };

  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
