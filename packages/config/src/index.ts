import { z } from 'zod';

/** Thrown at start-up when variables are missing or invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** An environment flag: `true/1/yes/on` or `false/0/no/off`, case-insensitive. */
export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'TRUE', 'FALSE', 'True', 'False'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value.toLowerCase()));

/** A TCP port number. */
export const envPort = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

/** A whole number with a lower bound. */
export const envInt = (fallback: number, min = 0) =>
  z.coerce.number().int().min(min).default(fallback);

/** Variables every service reads: database, logging and metrics. */
export const baseConfig = {
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'silent']).default('info'),
  PROMETHEUS_ENABLED: envBoolean(true),
  PROMETHEUS_PORT: envPort(9090),
  // The same metrics over DogStatsD to a Datadog agent (read by @readur/metrics).
  DATADOG_ENABLED: envBoolean(false),
  DATADOG_HOST: z.string().min(1).default('127.0.0.1'),
  DATADOG_PORT: envPort(8125),
  // Accepted so deployments can pass the documented variable (e.g. from the Secret the agent
  // reads), but sent nowhere: DogStatsD to an agent carries no key, the agent has its own
  // DD_API_KEY. A secret: no default, never logged, never echoed in a ConfigError.
  DATADOG_API_KEY: z.string().optional(),
};

/** The database of a service that owns tables. */
export const databaseConfig = {
  DATABASE_URL: z.string().min(1),
};

/** The message broker: RabbitMQ (`AMQP_*`) or Kafka (`KAFKA_*`); exactly one is enabled. */
export const busConfig = {
  AMQP_ENABLED: envBoolean(true),
  AMQP_URL: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: z.string().default('readur-events'),
  AMQP_QUEUE: z.string().optional(),
  AMQP_PREFETCH: envInt(16, 1),
  KAFKA_ENABLED: envBoolean(false),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_TOPIC: z.string().default('readur-events'),
  KAFKA_CONSUMER_GROUP: z.string().optional(),
};

/** Parses `env` against `shape` once; every invalid variable is reported together. */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const value = env[name];
    return value === undefined ? `${name}: required but not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** The variable names a config shape reads (for docs and for compose/k8s drift tests). */
export function configVariables(shape: z.ZodRawShape): string[] {
  return Object.keys(shape).sort();
}

/** What a service's `--help` says about itself. */
export interface ConfigHelp {
  /** One line: what the service is. */
  title: string;
  /** The service's entry point, e.g. `services/auth/dist/main.js`. */
  entry: string;
  /** Short meanings of variables, by name. */
  descriptions: Record<string, string>;
}

/** A parsed default as `--help` shows it: lists comma-joined, nothing for none or empty. */
function shownDefault(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => shownDefault(item)).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  const printable =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return printable ? String(value) : '';
}

/** A service's `--help` text: usage, then every variable with its default and meaning. */
export function configHelp(shape: z.ZodRawShape, help: ConfigHelp): string {
  const names = configVariables(shape);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = names.map((name) => {
    const schema = shape[name];
    const parsed = schema ? z.safeParse(schema, undefined) : undefined;
    const fallback = parsed?.success ? shownDefault(parsed.data) : '';
    const note = help.descriptions[name] ? `  ${help.descriptions[name]}` : '';
    return `  ${name.padEnd(width)}${fallback ? `(default ${fallback})` : ''}${note}`.trimEnd();
  });
  return [
    help.title,
    '',
    `Usage: node ${help.entry} [--help]`,
    '',
    'Environment variables:',
    ...lines,
    '',
    'README.md explains every variable.',
    '',
  ].join('\n');
}
