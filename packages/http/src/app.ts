import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { runWithContext, type Logger } from '@readur/logger';
import type { Metrics } from '@readur/metrics';

/** Header names the platform reads and writes. */
export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/** A readiness check: resolves when the dependency answers, rejects otherwise. */
export type HealthCheck = () => Promise<void>;

/** What `createApp` needs to know about the service. */
export interface AppOptions {
  service: string;
  logger: Logger;
  metrics?: Metrics;
  /** Dependencies that must answer for the service to be ready (database, broker, ...). */
  readiness?: Record<string, HealthCheck>;
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

async function runChecks(checks: Record<string, HealthCheck>) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = performance.now();
      try {
        await check();
        return [name, { status: 'up', latency_ms: Math.round(performance.now() - started) }];
      } catch (error) {
        return [name, { status: 'down', error: (error as Error).message }];
      }
    }),
  );
  const dependencies = Object.fromEntries(entries) as Record<string, { status: string }>;
  const ready = Object.values(dependencies).every((entry) => entry.status === 'up');
  return { ready, dependencies };
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
  if (options.parseJson !== false) app.use(express.json({ limit: options.jsonLimit ?? '1mb' }));

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/api/health/ready', async (_req, res) => {
    const { ready, dependencies } = await runChecks(options.readiness ?? {});
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', dependencies });
  });

  return app;
}
