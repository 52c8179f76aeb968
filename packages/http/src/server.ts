import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '@readur/logger';

/** A listening HTTP server and a way to stop it without cutting requests short. */
export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  close(): Promise<void>;
}

/** Starts `app` on `port` (0 picks a free one). */
export async function listen(app: Express, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    });
  return { server, port: (server.address() as AddressInfo).port, close };
}

/**
 * Runs `shutdown` once on SIGTERM or SIGINT, then exits: 0 when it finished within
 * `timeoutMs`, 1 otherwise. Used by every service entry point so a stop drains work.
 */
export function onShutdownSignal(
  logger: Logger,
  shutdown: () => Promise<void>,
  timeoutMs = 25_000,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown timed out', { timeout_ms: timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
