import { z } from 'zod';
import {
  baseConfig,
  configVariables,
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
};

/** The `--help` text: every variable with its default. */
export function gatewayConfigHelp(): string {
  const lines = configVariables(gatewayConfigShape).map((name) => {
    const schema = gatewayConfigShape[name as keyof typeof gatewayConfigShape];
    const parsed = schema.safeParse(undefined);
    const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
    const note = DESCRIPTIONS[name] ? `  ${DESCRIPTIONS[name]}` : '';
    return `  ${name.padEnd(28)} ${fallback ? `(default ${fallback})` : ''}${note}`;
  });
  return ['readur gateway', '', 'Environment variables:', ...lines, ''].join('\n');
}
