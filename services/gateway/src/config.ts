import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  configHelp,
  envBoolean,
  envInt,
  envPort,
  loadConfig,
} from '@readur/config';

const trustProxy = z
  .string()
  .default('false')
  .transform((value): boolean | number | string => {
    if (['true', 'false'].includes(value.toLowerCase())) return value.toLowerCase() === 'true';
    return /^\d+$/.test(value) ? Number(value) : value;
  });

/** Every variable the gateway reads, validated once at start-up. */
export const gatewayConfigShape = {
  ...baseConfig,
  PORT: envPort(8080),
  PROMETHEUS_PORT: envPort(9100),
  AUTH_SERVICE_URL: z.url().default('http://127.0.0.1:8081'),
  DOCUMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8082'),
  WEBHOOK_SERVICE_URL: z.url().default('http://127.0.0.1:8084'),
  SYNC_SERVICE_URL: z.url().default('http://127.0.0.1:8085'),
  AUTH_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).default('readur'),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  TRUST_PROXY: trustProxy,
  MAX_UPLOAD_SIZE_MB: envInt(500, 1),
  MAX_JSON_BODY_KB: envInt(1024, 1),
  RATE_LIMIT_PER_MINUTE: envInt(1200, 1),
  LOGIN_RATE_LIMIT_PER_MINUTE: envInt(20, 1),
  RATE_LIMIT_ENABLED: envBoolean(true),
  UPSTREAM_TIMEOUT_SECONDS: envInt(300, 1),
  AUTH_INTROSPECTION_CACHE_SECONDS: envInt(5, 0),
  ...busConfig,
  LIVE_EVENTS_ENABLED: envBoolean(true),
  LIVE_AUTH_TIMEOUT_SECONDS: envInt(5, 1),
  LIVE_HEARTBEAT_SECONDS: envInt(30, 1),
  LIVE_MAX_BUFFERED_KB: envInt(1024, 1),
  LIVE_RECHECK_SECONDS: envInt(60, 1),
};

/** The parsed configuration of the gateway. */
export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  return loadConfig(gatewayConfigShape, env);
}

/** The JWKS address: `AUTH_JWKS_URL`, else the auth service's own route. */
export function jwksUrl(config: GatewayConfig): string {
  return config.AUTH_JWKS_URL ?? new URL('/api/auth/jwks', config.AUTH_SERVICE_URL).toString();
}

const DESCRIPTIONS: Record<string, string> = {
  AUTH_JWKS_URL: 'JWKS address (default ${AUTH_SERVICE_URL}/api/auth/jwks)',
  INTERNAL_API_TOKEN: 'shared secret sent to services as X-Internal-Token (required)',
  TRUST_PROXY: 'Express trust proxy: false, true, a hop count or a subnet list',
  MAX_UPLOAD_SIZE_MB: 'body limit of document uploads',
  MAX_JSON_BODY_KB: 'body limit of every other request',
  RATE_LIMIT_PER_MINUTE: 'requests per client IP per minute',
  LOGIN_RATE_LIMIT_PER_MINUTE: 'login and register attempts per client IP per minute',
  UPSTREAM_TIMEOUT_SECONDS: 'idle time after which an upstream call answers 504',
  AUTH_INTROSPECTION_CACHE_SECONDS:
    'how long a live session or API key is trusted before the auth service is asked again',
  AMQP_ENABLED: 'live events (GET /ws) read the bus: RabbitMQ, or Kafka with KAFKA_ENABLED',
  AMQP_QUEUE: 'prefix of the transient live-events queue of each replica',
  KAFKA_CONSUMER_GROUP: 'prefix of the consumer group of each replica (live events)',
  LIVE_EVENTS_ENABLED: 'serve GET /ws (live events); false refuses it and opens no bus',
  LIVE_AUTH_TIMEOUT_SECONDS: 'how long a /ws client may take to send its auth message',
  LIVE_HEARTBEAT_SECONDS: 'ping interval; a client that missed one ping is cut off',
  LIVE_MAX_BUFFERED_KB: 'unsent bytes per /ws client before it is closed 4408 (too slow)',
  LIVE_RECHECK_SECONDS: 'how often the session or key of a /ws client is checked for revocation',
};

/** The `--help` text: every variable with its default. */
export function gatewayConfigHelp(): string {
  return configHelp(gatewayConfigShape, {
    title: 'readur gateway: the public HTTP entry (/api, /ws)',
    entry: 'services/gateway/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
