import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@readur/errors';
import type { Route } from '../domain/route.table';

/** The two body limits, in bytes. */
export interface BodyLimits {
  uploadBytes: number;
  defaultBytes: number;
}

// After a 413, up to this much of the rest of the body is read and thrown away, so an HTTP
// client that writes the whole body before reading the answer still sees the 413 instead of
// a reset connection. Beyond it the connection is closed.
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

/** The limit that applies to a request on `route`. */
export function limitFor(route: Route, limits: BodyLimits): number {
  return route.upload ? limits.uploadBytes : limits.defaultBytes;
}

/** 413 `PAYLOAD_TOO_LARGE`. */
export function payloadTooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`, 413);
}

/**
 * Rejects a declared `Content-Length` over the limit before any byte is read. Chunked bodies
 * are counted while they stream (see `countBody`).
 */
export function rejectDeclaredOversize(limits: BodyLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const limit = limitFor(res.locals.route as Route, limits);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      // Node drains an unread body before the next request on a kept-alive connection.
      if (declared - limit > DISCARD_MAX_BYTES) res.setHeader('Connection', 'close');
      throw payloadTooLarge(limit);
    }
    next();
  };
}

/**
 * Counts body bytes as they pass to the upstream and calls `onOverflow` once when they exceed
 * `limit`. Must be attached in the same tick as the pipe to the upstream so no chunk is missed.
 */
export function countBody(req: Request, limit: number, onOverflow: () => void): void {
  let seen = 0;
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen <= limit) return;

    req.off('data', onData);
    onOverflow();
  };
  req.on('data', onData);
}

/** Reads and drops what is left of the body, up to a bound; then closes the connection. */
export function discardRest(req: Request): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) req.destroy();
  });
  req.resume();
}
