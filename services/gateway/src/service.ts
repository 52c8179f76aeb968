import type http from 'node:http';
import { createApp, finishApp, listen } from '@readur/http';
import { createLogger, type Logger } from '@readur/logger';
import { createMetrics, startMetricsServer } from '@readur/metrics';
import { jwksUrl, type GatewayConfig } from './config';
import {
  createAccessTokenVerifier,
  type AccessTokenVerifier,
} from './domain/access-token.verifier';
import { createIntrospectionClient } from './domain/introspection.client';
import { rejectDeclaredOversize } from './http/body-limit.middleware';
import { routeRequest, whenRouted } from './http/gateway.routes';
import { authenticate } from './http/identity.middleware';
import { createProxies, forward } from './http/proxy.middleware';
import { rateLimits } from './http/rate-limit.middleware';
import { startLiveEvents, type LiveEvents } from './live/live.server';

/** The service name: logger field and metrics label. */
export const SERVICE = 'gateway';

/** A running gateway. */
export interface RunningGateway {
  port: number;
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>;
}

/** Embedding hooks; production uses the defaults. */
export interface GatewayOptions {
  logger?: Logger;
}

const HEALTH_TIMEOUT_MS = 2_000;

function upstreamHealth(baseUrl: string) {
  return async (): Promise<void> => {
    const response = await fetch(new URL('/api/health', baseUrl), {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`answered ${response.status}`);
  };
}

/** Live events on `/ws`: best-effort, so a broker that is down delays them, not the gateway. */
function liveEvents(
  config: GatewayConfig,
  verify: AccessTokenVerifier,
  logger: Logger,
): LiveEvents {
  return startLiveEvents({
    bus: config,
    verify,
    logger,
    limits: {
      authTimeoutMs: config.LIVE_AUTH_TIMEOUT_SECONDS * 1000,
      heartbeatMs: config.LIVE_HEARTBEAT_SECONDS * 1000,
      maxBufferedBytes: config.LIVE_MAX_BUFFERED_KB * 1024,
      recheckMs: config.LIVE_RECHECK_SECONDS * 1000,
    },
  });
}

/**
 * Starts the gateway on `config.PORT` (0 picks a free port): the only public entry, which
 * verifies access tokens, sets the trust headers and streams `/api/*` to the owning service.
 */
export async function startGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(SERVICE, config.LOG_LEVEL);
  const metrics = createMetrics(SERVICE);
  const limits = {
    uploadBytes: config.MAX_UPLOAD_SIZE_MB * 1024 * 1024,
    defaultBytes: config.MAX_JSON_BODY_KB * 1024,
  };
  const verify = createAccessTokenVerifier({
    jwksUrl: jwksUrl(config),
    issuer: config.JWT_ISSUER,
    introspect: createIntrospectionClient({
      authUrl: config.AUTH_SERVICE_URL,
      internalToken: config.INTERNAL_API_TOKEN,
      ttlMs: config.AUTH_INTROSPECTION_CACHE_SECONDS * 1000,
    }),
  });
  const proxies = createProxies({
    targets: {
      auth: config.AUTH_SERVICE_URL,
      document: config.DOCUMENT_SERVICE_URL,
      webhook: config.WEBHOOK_SERVICE_URL,
      sync: config.SYNC_SERVICE_URL,
    },
    limits,
    timeoutMs: config.UPSTREAM_TIMEOUT_SECONDS * 1000,
    logger,
  });

  const app = createApp({
    service: SERVICE,
    logger,
    metrics,
    parseJson: false,
    trustProxy: config.TRUST_PROXY,
    readiness: {
      auth: upstreamHealth(config.AUTH_SERVICE_URL),
      document: upstreamHealth(config.DOCUMENT_SERVICE_URL),
    },
  });
  if (config.RATE_LIMIT_ENABLED) {
    app.use(
      rateLimits({
        perMinute: config.RATE_LIMIT_PER_MINUTE,
        credentialsPerMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE,
        logger,
      }),
    );
  }
  app.use(routeRequest);
  app.use(whenRouted(rejectDeclaredOversize(limits)));
  app.use(whenRouted(authenticate(verify, config.INTERNAL_API_TOKEN)));
  app.use(whenRouted(forward(proxies)));
  finishApp(app, logger);

  const server = await listen(app, config.PORT);
  const live = config.LIVE_EVENTS_ENABLED ? liveEvents(config, verify, logger) : undefined;
  live?.attach(server.server);
  let metricsServer: http.Server | undefined;
  if (config.PROMETHEUS_ENABLED) {
    metricsServer = await startMetricsServer(metrics, config.PROMETHEUS_PORT);
  }
  logger.info('gateway listening', { port: server.port });

  const close = async () => {
    await live?.close();
    await server.close();
    if (metricsServer) {
      const running = metricsServer;
      await new Promise<void>((resolve) => running.close(() => resolve()));
    }
  };
  return { port: server.port, close };
}
