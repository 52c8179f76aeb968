import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createBus, type Bus, type BusConfig } from '@readur/bus';
import { PUBLIC_EVENTS } from '@readur/contracts';
import type { Logger } from '@readur/logger';
import type { AccessTokenVerifier } from '../domain/access-token.verifier';
import { resolveRoute } from '../domain/route.table';
import { LIVE_CLOSE, LiveConnection, type LiveLimits } from './live.connection';
import { createLiveHub, type LiveHub } from './live.hub';

/** The subprotocol a live client offers and the gateway answers with. */
export const LIVE_PROTOCOL = 'readur.v1';
/** A handshake protocol `bearer.<token>` carries the credential (never the URL, which is logged). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** The subscription name of every replica's transient queue (RabbitMQ) or group (Kafka). */
export const LIVE_SUBSCRIPTION = 'gateway.live';

/** Settings of live events. */
export interface LiveEventsOptions {
  bus: BusConfig;
  verify: AccessTokenVerifier;
  logger: Logger;
  limits: LiveLimits & { heartbeatMs: number };
}

/** Live events of one gateway replica. */
export interface LiveEvents {
  /** Answers WebSocket upgrades of `server` on `/ws`; any other upgrade is refused. */
  attach(server: http.Server): void;
  /** Closes every client (1001) and the bus. */
  close(): Promise<void>;
}

const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
const RESUBSCRIBE_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** The `bearer.<token>` entry of the handshake's `Sec-WebSocket-Protocol`, if any. */
export function handshakeCredential(request: http.IncomingMessage): string | undefined {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',');
  const bearer = offered.map((p) => p.trim()).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return bearer?.slice(BEARER_PROTOCOL_PREFIX.length) || undefined;
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Starts live events: a transient bus subscription of this replica to every public event,
 * fanned out to this replica's WebSocket clients by owner. The broker being down does not
 * stop the gateway: subscribing is retried in the background (best-effort, nothing replayed).
 */
export function startLiveEvents(options: LiveEventsOptions): LiveEvents {
  const { logger, limits } = options;
  const hub = createLiveHub();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: true,
    handleProtocols: (protocols) => (protocols.has(LIVE_PROTOCOL) ? LIVE_PROTOCOL : false),
  });
  const connections = new Map<WebSocket, LiveConnection>();
  const subscription = subscribeInBackground(options, hub);
  const heartbeat = startHeartbeat(wss, limits.heartbeatMs);

  const onConnection = (ws: WebSocket, request: http.IncomingMessage) => {
    heartbeat.track(ws);
    const connection = new LiveConnection(ws, { verify: options.verify, hub, logger, limits });
    connections.set(ws, connection);
    ws.once('close', () => connections.delete(ws));
    connection.start(handshakeCredential(request));
  };

  const attach = (server: http.Server) => {
    server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(request.url ?? '/', 'http://gateway').pathname;
      if (resolveRoute('GET', path)?.upstream !== 'gateway') {
        refuseUpgrade(socket, '404 Not Found');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
    });
  };

  const close = async () => {
    heartbeat.stop();
    for (const connection of connections.values()) {
      connection.close(LIVE_CLOSE.goingAway, 'gateway shutting down');
    }
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await subscription.stop();
  };

  return { attach, close };
}

/**
 * Pings every client; one that did not answer the previous ping is cut off. Clients are tracked
 * explicitly: with `noServer`, the server emits no `connection` event for `handleUpgrade`.
 */
function startHeartbeat(wss: WebSocketServer, intervalMs: number) {
  const alive = new WeakSet<WebSocket>();

  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();

  return {
    track: (ws: WebSocket) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
    },
    stop: () => clearInterval(timer),
  };
}

/** Subscribes on a fresh bus until it works; each failed attempt's bus is closed. */
function subscribeInBackground(options: LiveEventsOptions, hub: LiveHub) {
  const { logger } = options;
  let bus: Bus | undefined;
  let stopped = false;

  const attempt = async (): Promise<boolean> => {
    const current = createBus(options.bus, {
      service: 'gateway',
      logger,
      publishTimeoutMs: 10_000,
    });
    bus = current;
    try {
      await current.subscribe({
        name: LIVE_SUBSCRIPTION,
        events: [...PUBLIC_EVENTS],
        transient: true,
        handler: (envelope) => {
          hub.deliver(envelope);
          return Promise.resolve();
        },
      });
      if (stopped) await current.close();
      return true;
    } catch (error) {
      logger.warn('live events cannot subscribe yet; retrying', { error: String(error) });
      await current.close();
      return false;
    }
  };

  void (async () => {
    for (let tries = 0; !stopped; tries += 1) {
      if (await attempt()) return;
      const delay = RESUBSCRIBE_MS[Math.min(tries, RESUBSCRIBE_MS.length - 1)] ?? 30_000;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  })().catch((error: unknown) => logger.error('live events gave up', { error: String(error) }));

  const stop = async () => {
    stopped = true;
    await bus?.close();
  };
  return { stop };
}
