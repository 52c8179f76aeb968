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
  ACCESS_TOKEN_TTL_SECONDS: envInt(3600, 60),
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
