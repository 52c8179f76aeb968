/** Machine codes of the errors this package throws. */
export type BusErrorCode =
  | 'BUS_CONFIG_INVALID'
  | 'BUS_UNAVAILABLE'
  | 'BUS_PUBLISH_FAILED'
  | 'BUS_CLOSED'
  | 'BUS_SUBSCRIPTION_INVALID';

/** An error of the bus, with a stable machine code and the broker's error as cause. */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}
