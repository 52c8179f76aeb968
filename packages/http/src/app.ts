import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { runWithContext, type Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';

/** Header names the platform reads and writes. */
export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/** A readiness check: resolves when the dependency answers, rejects otherwise. */
export type HealthCheck = () => Promise<void>;

/**
 * A dependency the service can work without (a cache, an optional identity provider): when it
 * fails the service reports `degraded` and stays ready.
 */
export interface OptionalHealthCheck {
  check: HealthCheck;
  optional: true;
}

/** How long one readiness check may take before it counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/** What `createApp` needs to know about the service. */
export interface AppOptions {
  service: string;
  logger: Logger;
  metrics?: Metrics;
  /**
   * Dependencies checked by `/api/health/ready`: required ones (database, broker, ...) must
   * answer for the service to be ready; optional ones only degrade it.
   */
  readiness?: Record<string, HealthCheck | OptionalHealthCheck>;
  /** Limit for JSON bodies; uploads are streamed and never go through this parser. */
  jsonLimit?: string;
  /** False for a proxy that must stream bodies through untouched. */
  parseJson?: boolean;
  /** Express `trust proxy` setting, for services behind the gateway or a reverse proxy. */
  trustProxy?: boolean | number | string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** The id of this request, from `X-Request-Id` or generated. */
      id: string;
      /** The correlation id: from `X-Correlation-Id`, else the request id. */
      correlationId: string;
    }
  }
}

const SAFE_ID = /^[\w.:-]{1,128}$/;

function incomingId(value: string | string[] | undefined): string | undefined {
  const id = Array.isArray(value) ? value[0] : value;
  return id && SAFE_ID.test(id) ? id : undefined;
}

function requestContext(req: Request, res: Response, next: NextFunction): void {
  req.id = incomingId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  req.correlationId = incomingId(req.headers[CORRELATION_ID_HEADER]) ?? req.id;
  res.setHeader('X-Request-Id', req.id);
  res.setHeader('X-Correlation-Id', req.correlationId);
  runWithContext({ request_id: req.id, correlation_id: req.correlationId }, next);
}

function requestMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const labels = {
        method: req.method,
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      };
      stop(labels);
      metrics.httpRequestsTotal.inc(labels);
    });
    next();
  };
}

/**
 * One `debug` line per answered request with the client address Express derived (behind a
 * trusted reverse proxy: the forwarded one). Never the query string, which may hold secrets.
 */
function accessLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.on('finish', () => {
      logger.debug('request finished', {
        request_id: req.id,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        duration_ms: Math.round(performance.now() - started),
        client_address: req.ip,
      });
    });
    next();
  };
}

/** State of one dependency in the readiness answer. */
interface DependencyState {
  status: 'up' | 'down';
  optional: boolean;
  latency_ms: number;
  error?: string;
}

async function checkOne(entry: HealthCheck | OptionalHealthCheck): Promise<DependencyState> {
  const { check, optional } =
    typeof entry === 'function' ? { check: entry, optional: false } : entry;
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)),
      HEALTH_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'up', optional, latency_ms: latency() };
  } catch (error) {
    return { status: 'down', optional, latency_ms: latency(), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function runChecks(checks: Record<string, HealthCheck | OptionalHealthCheck>) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, entry]) => [name, await checkOne(entry)] as const),
  );
  const dependencies = Object.fromEntries(entries);
  const states = Object.values(dependencies);
  const ready = states.every((state) => state.status === 'up' || state.optional);
  const degraded = ready && states.some((state) => state.status === 'down');
  const status = !ready ? 'not_ready' : degraded ? 'degraded' : 'ready';
  return { ready, status, dependencies };
}

/**
 * An Express app with request and correlation ids, JSON logging context, HTTP metrics,
 * a small JSON body limit, `/api/health` (liveness) and `/api/health/ready` (readiness).
 * Mount routes on it, then call `finishApp` to add the 404 and error handlers.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(requestContext);
  if (options.metrics) app.use(requestMetrics(options.metrics));
  app.use(accessLog(options.logger));
  if (options.parseJson !== false) app.use(express.json({ limit: options.jsonLimit ?? '1mb' }));

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/api/health/ready', async (_req, res) => {
    const { ready, status, dependencies } = await runChecks(options.readiness ?? {});
    res.status(ready ? 200 : 503).json({ status, dependencies });
  });

  return app;
}
