import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { AttemptResult } from '../domain/retry.policy';
import {
  ForbiddenAddressError,
  assertAllowed,
  guardedLookup,
  hostOf,
  isIpLiteral,
  systemResolver,
  type AddressPolicy,
  type HostResolver,
} from './address.guard';

/** The most of a response body that is read (then discarded); the rest is cut off. */
export const RESPONSE_BODY_LIMIT = 16 * 1024;

/** One POST to a webhook endpoint. */
export interface EndpointRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** False only for the operator's webhook: its address is trusted, not checked. */
  guarded: boolean;
}

/** Posts webhook bodies; never follows redirects and never throws. */
export interface EndpointClient {
  post(request: EndpointRequest): Promise<AttemptResult>;
  close(): void;
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

function agents(lookup?: ReturnType<typeof guardedLookup>): Agents {
  const options = { keepAlive: true, maxSockets: 256, ...(lookup ? { lookup } : {}) };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

/**
 * A client on Node's own http/https with keep-alive agents. Guarded requests resolve names
 * through `guardedLookup` (with `resolver`), refuse IP literals up front and check the peer
 * address of every new socket once connected, so no path reaches a refused address.
 */
export function createEndpointClient(
  policy: AddressPolicy,
  resolver: HostResolver = systemResolver,
): EndpointClient {
  const guarded = agents(guardedLookup(policy, resolver));
  const trusted = agents();

  function checkPeer(socket: Socket, request: http.ClientRequest): void {
    const verify = () => {
      const address = socket.remoteAddress;
      if (!address) return;
      try {
        assertAllowed(address, policy);
      } catch (error) {
        request.destroy(error as Error);
      }
    };
    if (socket.connecting) socket.once('connect', verify);
    else verify();
  }

  async function post(request: EndpointRequest): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    let url: URL;
    try {
      url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
      if (request.guarded && isIpLiteral(url)) assertAllowed(hostOf(url), policy);
    } catch (error) {
      const forbidden = error instanceof ForbiddenAddressError;
      return {
        kind: 'error',
        code: forbidden ? 'forbidden' : 'invalid_url',
        message: forbidden ? error.message : `invalid webhook URL: ${String(error)}`,
        durationMs: elapsed(),
      };
    }

    const pool = request.guarded ? guarded : trusted;
    try {
      const status = await send(url, request, pool, request.guarded ? checkPeer : undefined);
      return { kind: 'response', ...status, durationMs: elapsed() };
    } catch (error) {
      return { kind: 'error', ...classify(error), durationMs: elapsed() };
    }
  }

  return {
    post,
    close() {
      for (const pool of [guarded, trusted]) {
        pool.http.destroy();
        pool.https.destroy();
      }
    },
  };
}

function send(
  url: URL,
  request: EndpointRequest,
  pool: Agents,
  checkPeer?: (socket: Socket, request: http.ClientRequest) => void,
): Promise<{ status: number; retryAfter?: string | undefined }> {
  const transport = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? pool.https : pool.http;
  const body = Buffer.from(request.body);

  return new Promise((resolve, reject) => {
    const outgoing = transport.request(url, {
      method: 'POST',
      agent,
      headers: { ...request.headers, 'Content-Length': String(body.length) },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    if (checkPeer) outgoing.once('socket', (socket) => checkPeer(socket, outgoing));
    outgoing.once('error', reject);
    outgoing.once('response', (response) => {
      const status = response.statusCode ?? 0;
      const retryAfter = response.headers['retry-after'];
      const done = () => resolve({ status, retryAfter });
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // Enough read: the body is discarded anyway, so the connection is not worth keeping.
        if (read > RESPONSE_BODY_LIMIT) {
          response.destroy();
          done();
        }
      });
      response.once('end', done);
      response.once('error', reject);
    });
    outgoing.end(body);
  });
}

function classify(error: unknown): {
  code: 'timeout' | 'connection' | 'forbidden';
  message: string;
} {
  if (error instanceof ForbiddenAddressError) return { code: 'forbidden', message: error.message };
  const named = error as { name?: string; code?: string; message?: string };
  if (named.name === 'TimeoutError' || named.name === 'AbortError' || named.code === 'ABORT_ERR') {
    return { code: 'timeout', message: 'no complete answer within the timeout' };
  }
  const message = [named.code, named.message].filter(Boolean).join(' ');
  return { code: 'connection', message: message || String(error) };
}
