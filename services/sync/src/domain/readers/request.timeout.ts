import type http from 'node:http';
import type https from 'node:https';
import type { Readable } from 'node:stream';

/** An outbound call to a source that got no answer (or no data) in time. */
export class SourceTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceTimeoutError';
  }
}

/**
 * Runs `call` with a signal that aborts after `ms`; an aborted call fails with a
 * `SourceTimeoutError` that says what did not answer, instead of the client's own abort error.
 */
export async function withDeadline<T>(
  ms: number,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted)
      throw new SourceTimeoutError(`${what}: no answer within ${ms} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fails `stream` with a `SourceTimeoutError` when it delivers no data for `ms` while its consumer
 * wants data; a consumer that paused it (backpressure from a slow receiver) is not the source's
 * fault, so the clock then starts again. `abort` frees what the stream reads from.
 */
export function failWhenIdle<T extends Readable>(
  stream: T,
  ms: number,
  what: string,
  abort?: () => void,
): T {
  const check = () => {
    if (stream.destroyed || stream.readableEnded) return;
    if (stream.readableFlowing !== true) {
      timer.refresh();
      return;
    }
    abort?.();
    stream.destroy(new SourceTimeoutError(`${what}: no data for ${ms} ms`));
  };
  const timer = setTimeout(check, ms);
  stream.on('data', () => timer.refresh());
  stream.once('close', () => clearTimeout(timer));
  stream.once('end', () => clearTimeout(timer));
  return stream;
}

/**
 * An `http`/`https` request function whose requests fail with a `SourceTimeoutError` after `ms`
 * without any traffic: no answer, or an answer whose body stopped arriving. A body its consumer
 * paused (backpressure) is waited for. For clients that take a transport (the minio client).
 */
export function timedTransport(
  base: typeof http | typeof https,
  ms: number,
  what: string,
): Pick<typeof http, 'request'> {
  const request = (...args: Parameters<typeof http.request>): http.ClientRequest => {
    const outgoing = base.request(...args);
    let response: http.IncomingMessage | undefined;
    outgoing.once('response', (incoming) => (response = incoming));
    // setTimeout's callback is a `once` listener: a paused body re-arms with it again.
    const onIdle = () => {
      if (response && !response.complete && response.readableFlowing !== true) {
        outgoing.setTimeout(ms, onIdle);
        return;
      }
      const error = new SourceTimeoutError(`${what}: no answer or data within ${ms} ms`);
      response?.destroy(error);
      outgoing.destroy(error);
    };
    outgoing.setTimeout(ms, onIdle);
    return outgoing;
  };
  return { request: request as typeof http.request };
}
