import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatsD } from 'hot-shots';
import client from 'prom-client';

/** One process's metrics: a registry with default process metrics and the shared names. */
export interface Metrics {
  registry: client.Registry;
  httpRequestDuration: client.Histogram<'method' | 'route' | 'status'>;
  httpRequestsTotal: client.Counter<'method' | 'route' | 'status'>;
  busPublished: client.Counter<'event' | 'transport'>;
  busConsumed: client.Counter<'event' | 'outcome' | 'transport'>;
  /** Messages a durable subscription has not consumed yet, sampled by `@readur/bus`. */
  busConsumerLag: client.Gauge<'subscription' | 'transport'>;
  counter<L extends string>(name: string, help: string, labels?: L[]): client.Counter<L>;
  /** `collect`, when given, runs at every scrape to set the gauge's current value. */
  gauge<L extends string>(
    name: string,
    help: string,
    labels?: L[],
    collect?: (gauge: client.Gauge<L>) => Promise<void>,
  ): client.Gauge<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labels?: L[],
    buckets?: number[],
  ): client.Histogram<L>;
}

/** Creates the registry of one service, labelled with its name. */
export function createMetrics(
  service: string,
  env: Record<string, string | undefined> = process.env,
): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  const datadog = datadogOptions(env);
  if (datadog) startDogStatsD(registry, service, datadog);

  const counter = <L extends string>(name: string, help: string, labels: L[] = []) =>
    (registry.getSingleMetric(name) as client.Counter<L> | undefined) ??
    new client.Counter<L>({ name, help, labelNames: labels, registers: [registry] });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labels: L[] = [],
    collect?: (gauge: client.Gauge<L>) => Promise<void>,
  ) =>
    (registry.getSingleMetric(name) as client.Gauge<L> | undefined) ??
    new client.Gauge<L>({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      ...(collect
        ? {
            collect(this: client.Gauge<L>) {
              return collect(this);
            },
          }
        : {}),
    });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labels: L[] = [],
    buckets?: number[],
  ) =>
    (registry.getSingleMetric(name) as client.Histogram<L> | undefined) ??
    new client.Histogram<L>({ name, help, labelNames: labels, buckets, registers: [registry] });

  return {
    registry,
    counter,
    gauge,
    histogram,
    httpRequestDuration: histogram(
      'http_request_duration_seconds',
      'HTTP request duration in seconds',
      ['method', 'route', 'status'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    httpRequestsTotal: counter('http_requests_total', 'HTTP requests answered', [
      'method',
      'route',
      'status',
    ]),
    busPublished: counter('bus_messages_published_total', 'Events published', [
      'event',
      'transport',
    ]),
    busConsumed: counter('bus_messages_consumed_total', 'Events consumed, by outcome', [
      'event',
      'outcome',
      'transport',
    ]),
    busConsumerLag: gauge(
      'bus_consumer_lag_messages',
      'Messages waiting for a subscription: ready in its RabbitMQ queue (without those being ' +
        'handled), or Kafka high watermark minus the group committed offset, over all partitions',
      ['subscription', 'transport'],
    ),
  };
}

/** Serves `GET /metrics` on its own port; resolves with the server once it listens. */
export async function startMetricsServer(
  metrics: Metrics,
  port: number,
  host = '0.0.0.0',
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Not found', code: 'NOT_FOUND' }));
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

/** The port a started server listens on (useful when started on port 0). */
export function serverPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

/** Where the DogStatsD copy of the metrics goes: a Datadog agent. */
export interface DatadogOptions {
  host: string;
  port: number;
  /** How often the registry is read and sent; DogStatsD aggregates per 10 s by default. */
  intervalMs?: number;
}

/**
 * `DATADOG_ENABLED`, `DATADOG_HOST`, `DATADOG_PORT` (validated by each service's config, from
 * `baseConfig`); undefined when Datadog is off.
 */
export function datadogOptions(
  env: Record<string, string | undefined>,
): DatadogOptions | undefined {
  if (!['true', '1', 'yes', 'on'].includes((env.DATADOG_ENABLED ?? '').toLowerCase())) return;
  return { host: env.DATADOG_HOST || '127.0.0.1', port: Number(env.DATADOG_PORT || 8125) };
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };
const tagsOf = (labels: Record<string, string | number>) =>
  Object.entries(labels).map(([name, value]) => `${name}:${value}`);

/**
 * Sends the registry's own metrics (not the default process metrics the agent collects
 * itself) to DogStatsD every `intervalMs`, under the same names: counters as increments of
 * what they grew since the last send, gauges as gauges, histograms as `<name>_count` and
 * `<name>_sum` increments. Labels become tags. Returns a stop function.
 */
export function startDogStatsD(
  registry: client.Registry,
  service: string,
  options: DatadogOptions,
): () => Promise<void> {
  const statsd = new StatsD({
    host: options.host,
    port: options.port,
    globalTags: { service },
    errorHandler: () => undefined,
  });
  statsd.socket.unref();
  const last = new Map<string, number>();
  const delta = (key: string, value: number) => {
    const grown = value - (last.get(key) ?? 0);
    last.set(key, value);
    return grown;
  };

  const send = async () => {
    for (const metric of await registry.getMetricsAsJSON()) {
      if (metric.name.startsWith('process_') || metric.name.startsWith('nodejs_')) continue;
      for (const sample of metric.values as Sample[]) {
        const name = sample.metricName ?? metric.name;
        const tags = tagsOf(sample.labels);
        const key = `${name}|${tags.join(',')}`;
        const type = String(metric.type);
        if (type === 'gauge') statsd.gauge(name, sample.value, tags);
        else if (type === 'counter') statsd.increment(name, delta(key, sample.value), tags);
        else if (name.endsWith('_count') || name.endsWith('_sum')) {
          statsd.increment(name, delta(key, sample.value), tags);
        }
      }
    }
  };
  const timer = setInterval(() => void send().catch(() => undefined), options.intervalMs ?? 10_000);
  timer.unref();

  return async () => {
    clearInterval(timer);
    await send().catch(() => undefined);
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
  };
}
