import { decodeJwt } from 'jose';
import WebSocket, { type RawData } from 'ws';
import { z } from 'zod';
import { PUBLIC_EVENTS, type EventName } from '@readur/contracts';
import { AppError } from '@readur/errors';
import type { Logger } from '@readur/logger';
import { API_KEY_PREFIX, type AccessTokenVerifier } from '../domain/access-token.verifier';
import type { LiveClient, LiveHub } from './live.hub';

/** Close codes a live client can act on. */
export const LIVE_CLOSE = {
  /** No credential in time, a bad one, or it expired or was revoked: sign in again. */
  unauthorized: 4401,
  /** The client read too slowly and its send buffer passed the bound: reconnect. */
  tooSlow: 4408,
  /** Credentials cannot be checked right now (auth service down): retry later. */
  tryAgainLater: 1013,
  /** The gateway is shutting down. */
  goingAway: 1001,
} as const;

/** The bounds of one live connection. */
export interface LiveLimits {
  authTimeoutMs: number;
  maxBufferedBytes: number;
  recheckMs: number;
}

/** What a live connection needs. */
export interface LiveConnectionDeps {
  verify: AccessTokenVerifier;
  hub: LiveHub;
  logger: Logger;
  limits: LiveLimits;
}

const PUBLIC = new Set<string>(PUBLIC_EVENTS);
// A slow client gets this long to read what is buffered and the close frame after it.
const CLOSE_GRACE_MS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8_192) }),
  z.object({ type: z.literal('subscribe'), events: z.array(z.string()).min(1).max(64) }),
]);
type ClientMessage = z.infer<typeof clientMessage>;

function textOf(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString();
  return Buffer.isBuffer(raw) ? raw.toString() : Buffer.from(new Uint8Array(raw)).toString();
}

function parseMessage(raw: RawData, isBinary: boolean): ClientMessage | undefined {
  if (isBinary) return undefined;
  try {
    const parsed = clientMessage.safeParse(JSON.parse(textOf(raw)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds until an access token's `exp`; undefined for API keys (they do not expire). */
function expiresInMs(credential: string): number | undefined {
  if (credential.startsWith(API_KEY_PREFIX)) return undefined;
  const { exp } = decodeJwt(credential);
  return exp === undefined ? undefined : Math.max(exp * 1000 - Date.now(), 0);
}

// A credential the auth service answered "no" about, as opposed to one it could not check.
const isRefusal = (error: unknown) => error instanceof AppError && error.status < 500;

/**
 * One WebSocket client: authenticates (credential from the handshake, or a first `auth`
 * message), then receives its owner's events that pass its subscribe filter. Closes 4401 when
 * the credential is missing, bad, expired or revoked, and 4408 when it stops reading.
 */
export class LiveConnection implements LiveClient {
  userId = '';
  private filter: Set<string> | '*' = '*';
  private authenticating = false;
  private closing = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private leave: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: LiveConnectionDeps,
  ) {}

  /** Starts the connection; `credential` is the one the handshake offered, if any. */
  start(credential: string | undefined): void {
    this.ws.on('message', (raw, isBinary) => this.onMessage(raw, isBinary));
    this.ws.on('error', (error) => this.deps.logger.debug('live socket error', { error }));
    this.ws.once('close', () => this.dispose());

    if (credential) {
      void this.authenticate(credential);
      return;
    }
    this.timers.push(
      setTimeout(() => {
        if (!this.userId) this.close(LIVE_CLOSE.unauthorized, 'authentication timed out');
      }, this.deps.limits.authTimeoutMs),
    );
  }

  accepts(event: EventName): boolean {
    return this.filter === '*' || this.filter.has(event);
  }

  push(text: string): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;

    // Memory per client stays bounded: a client that does not read is let go.
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.deps.limits.maxBufferedBytes) {
      this.deps.logger.info('live client too slow; disconnected', {
        user_id: this.userId,
        buffered_bytes: buffered,
      });
      this.close(LIVE_CLOSE.tooSlow, 'too slow');
      return;
    }

    this.ws.send(text);
  }

  /** Closes with `code`; a peer that does not answer the close frame is cut off later. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.dispose();

    this.ws.close(code, reason);
    const cutOff = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    cutOff.unref();
    this.ws.once('close', () => clearTimeout(cutOff));
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    if (this.closing) return;
    const message = parseMessage(raw, isBinary);

    if (!this.userId && !this.authenticating) {
      if (message?.type !== 'auth') {
        this.close(LIVE_CLOSE.unauthorized, 'authenticate first');
        return;
      }
      void this.authenticate(message.token);
      return;
    }

    if (!message) {
      this.sendError('BAD_MESSAGE', 'Send JSON: {"type":"subscribe","events":["ocr.completed"]}');
    } else if (message.type === 'auth') {
      this.sendError('ALREADY_AUTHENTICATED', 'This connection is already authenticated');
    } else {
      this.subscribe(message.events);
    }
  }

  private async authenticate(credential: string): Promise<void> {
    this.authenticating = true;
    try {
      const identity = await this.deps.verify(credential);
      if (this.closing) return;

      this.userId = identity.userId;
      this.leave = this.deps.hub.add(this);
      this.watch(credential);
      this.send({ type: 'ready', user_id: identity.userId, events: ['*'] });
      this.deps.logger.debug('live client connected', {
        user_id: identity.userId,
        kind: identity.kind,
      });
    } catch (error) {
      if (isRefusal(error)) this.close(LIVE_CLOSE.unauthorized, 'unauthorized');
      else this.close(LIVE_CLOSE.tryAgainLater, 'cannot verify credentials right now');
    } finally {
      this.authenticating = false;
    }
  }

  /** Closes when the access token expires, and asks again now and then whether it was revoked. */
  private watch(credential: string): void {
    const expiresIn = expiresInMs(credential);
    if (expiresIn !== undefined) {
      this.timers.push(
        setTimeout(
          () => this.close(LIVE_CLOSE.unauthorized, 'token expired'),
          Math.min(expiresIn, MAX_TIMER_MS),
        ),
      );
    }

    const recheck = setInterval(() => {
      this.deps.verify(credential).catch((error: unknown) => {
        // An auth service that is down does not end live sessions; a "no" does.
        if (isRefusal(error)) this.close(LIVE_CLOSE.unauthorized, 'session revoked');
      });
    }, this.deps.limits.recheckMs);
    this.timers.push(recheck);
  }

  private subscribe(events: string[]): void {
    const unknown = events.filter((event) => event !== '*' && !PUBLIC.has(event));
    if (unknown.length > 0) {
      this.sendError('UNKNOWN_EVENT', `Unknown event types: ${unknown.join(', ')}`, unknown);
      return;
    }

    this.filter = events.includes('*') ? '*' : new Set(events);
    this.send({ type: 'subscribed', events: this.filter === '*' ? ['*'] : [...this.filter] });
  }

  private sendError(code: string, message: string, events?: string[]): void {
    this.send({ type: 'error', code, message, ...(events ? { events } : {}) });
  }

  private send(message: Record<string, unknown>): void {
    if (!this.closing && this.ws.readyState === WebSocket.OPEN)
      this.ws.send(JSON.stringify(message));
  }

  private dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
    this.leave?.();
    this.leave = undefined;
  }
}
