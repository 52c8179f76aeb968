import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { AppError } from '@readur/errors';
import { sendError } from '@readur/http';
import type { Logger } from '@readur/logger';
import type { Route, Upstream } from '../domain/route.table';

/** The services behind the gateway (the gateway's own routes are not proxied). */
export type ServiceUpstream = Exclude<Upstream, 'gateway'>;
import {
  countBody,
  discardRest,
  limitFor,
  payloadTooLarge,
  type BodyLimits,
} from './body-limit.middleware';

/** How the proxies reach the services. */
export interface ProxyOptions {
  targets: Record<ServiceUpstream, string>;
  limits: BodyLimits;
  /** Idle time on the upstream socket after which the caller gets 504. */
  timeoutMs: number;
  logger: Logger;
}

interface ProxyState {
  upstreamRequest?: ClientRequest;
  timedOut?: boolean;
  overflowed?: boolean;
}

const states = new WeakMap<IncomingMessage, ProxyState>();

function stateOf(req: IncomingMessage): ProxyState {
  let state = states.get(req);
  if (!state) {
    state = {};
    states.set(req, state);
  }
  return state;
}

function upstreamFailure(state: ProxyState, error: NodeJS.ErrnoException): AppError {
  if (state.timedOut) {
    return new AppError('UPSTREAM_TIMEOUT', 'The service did not answer in time', 504, {
      cause: error,
    });
  }
  return new AppError('UPSTREAM_UNAVAILABLE', 'The service is unavailable', 502, {
    cause: { code: error.code, message: error.message },
  });
}

function cutOversizedBody(req: Request, res: Response, limit: number, logger: Logger): void {
  const state = stateOf(req);
  state.overflowed = true;
  req.unpipe();
  state.upstreamRequest?.destroy();
  logger.warn('request body over the limit; cut', { limit_bytes: limit, path: req.path });

  if (!res.headersSent) sendError(req, res, payloadTooLarge(limit), logger);
  discardRest(req);
}

function createUpstreamProxy(target: string, options: ProxyOptions): RequestHandler {
  const { logger } = options;
  return createProxyMiddleware<Request, Response>({
    target,
    changeOrigin: false,
    xfwd: true,
    on: {
      start: (req, res) => {
        const limit = limitFor(res.locals.route as Route, options.limits);
        countBody(req, limit, () => cutOversizedBody(req, res, limit, logger));
      },
      proxyReq: (proxyReq, req) => {
        const state = stateOf(req);
        state.upstreamRequest = proxyReq;
        proxyReq.setTimeout(options.timeoutMs, () => {
          state.timedOut = true;
          proxyReq.destroy(new Error('upstream idle timeout'));
        });
      },
      error: (error: NodeJS.ErrnoException, req, res: Response | Socket) => {
        const state = stateOf(req);
        if (state.overflowed) return;
        if (!('writeHead' in res)) {
          res.destroy();
          return;
        }
        sendError(req, res, upstreamFailure(state, error), logger);
      },
    },
  });
}

/** One streaming proxy per upstream; neither request nor response bodies are buffered. */
export function createProxies(options: ProxyOptions): Record<ServiceUpstream, RequestHandler> {
  return {
    auth: createUpstreamProxy(options.targets.auth, options),
    document: createUpstreamProxy(options.targets.document, options),
    webhook: createUpstreamProxy(options.targets.webhook, options),
    sync: createUpstreamProxy(options.targets.sync, options),
  };
}

/** Hands the request to the proxy of the service `res.locals.route` names. */
export function forward(proxies: Record<ServiceUpstream, RequestHandler>): RequestHandler {
  return (req, res, next) => {
    const route = res.locals.route as Route;
    if (route.upstream === 'gateway') {
      // `/ws` reached as a plain request: it only answers WebSocket upgrades.
      throw new AppError('UPGRADE_REQUIRED', 'This route needs a WebSocket upgrade', 426);
    }
    return proxies[route.upstream](req, res, next);
  };
}
