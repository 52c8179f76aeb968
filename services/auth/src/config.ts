import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  configVariables,
  databaseConfig,
  envBoolean,
  envInt,
  envPort,
  loadConfig,
} from '@readur/config';

/** Every variable the auth service reads, validated once at start-up. */
export const authConfigShape = {
  ...baseConfig,
  ...databaseConfig,
  ...busConfig,
  PORT: envPort(8081),
  PROMETHEUS_PORT: envPort(9101),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  ADMIN_USERNAME: z.string().min(1).default('admin'),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('readur'),
  ACCESS_TOKEN_TTL_SECONDS: envInt(900, 30),
  REFRESH_TOKEN_TTL_SECONDS: envInt(1_209_600, 60),
  SESSION_MAX_AGE_SECONDS: envInt(2_592_000, 60),
  SIGNING_KEY_ROTATION_DAYS: envInt(30, 1),
  SIGNING_KEY_PUBLISH_LEAD_SECONDS: envInt(60, 0),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: envInt(10, 1),
  LOGIN_MAX_FAILURES_PER_ADDRESS: envInt(50, 1),
  LOGIN_THROTTLE_WINDOW_SECONDS: envInt(900, 1),
  ALLOW_REGISTRATION: envBoolean(true),
  ALLOW_LOCAL_AUTH: envBoolean(true),
};

/** The parsed configuration of the auth service. */
export type AuthConfig = z.infer<z.ZodObject<typeof authConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  return loadConfig(authConfigShape, env);
}

const DESCRIPTIONS: Record<string, string> = {
  PORT: 'HTTP port',
  DATABASE_URL: 'PostgreSQL connection string (required)',
  INTERNAL_API_TOKEN: 'shared secret between the gateway and services (required)',
  ADMIN_USERNAME: 'first admin, created at start-up when no admin exists',
  ADMIN_EMAIL: 'e-mail of the first admin',
  ADMIN_PASSWORD: 'password of the first admin; generated and printed once when unset',
  JWT_ISSUER: '`iss` claim of access tokens',
  ACCESS_TOKEN_TTL_SECONDS: 'access token lifetime',
  REFRESH_TOKEN_TTL_SECONDS: 'lifetime of one refresh token (each use issues a new one)',
  SESSION_MAX_AGE_SECONDS: 'a session ends this long after sign-in, however often refreshed',
  SIGNING_KEY_ROTATION_DAYS: 'age at which the token signing key is replaced',
  SIGNING_KEY_PUBLISH_LEAD_SECONDS: 'a new signing key is in the JWKS this long before it signs',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: 'failed sign-ins per account per window before 429',
  LOGIN_MAX_FAILURES_PER_ADDRESS: 'failed sign-ins per client address per window before 429',
  LOGIN_THROTTLE_WINDOW_SECONDS: 'window of the sign-in failure counts',
  ALLOW_REGISTRATION: 'allow self-service sign-up',
  ALLOW_LOCAL_AUTH: 'allow username/password sign-in',
};

/** The `--help` text: every variable with its default. */
export function authConfigHelp(): string {
  const lines = configVariables(authConfigShape).map((name) => {
    const schema = authConfigShape[name as keyof typeof authConfigShape];
    const parsed = schema.safeParse(undefined);
    const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
    const note = DESCRIPTIONS[name] ? `  ${DESCRIPTIONS[name]}` : '';
    return `  ${name.padEnd(26)} ${fallback ? `(default ${fallback})` : ''}${note}`;
  });
  return ['readur auth service', '', 'Environment variables:', ...lines, ''].join('\n');
}
