import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  ConfigError,
  configHelp,
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
  PUBLIC_URL: z.url().default('http://127.0.0.1:8080'),
  OIDC_ENABLED: envBoolean(false),
  OIDC_ISSUER_URL: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_REDIRECT_URI: z.url().optional(),
  OIDC_SCOPES: z.string().min(1).default('openid profile email'),
  OIDC_AUTO_REGISTER: envBoolean(false),
  OIDC_ROLE_CLAIM: z.string().min(1).optional(),
  OIDC_ADMIN_VALUES: z.string().default(''),
  OIDC_POST_LOGIN_REDIRECT: z.string().min(1).default('/'),
  OIDC_POST_LOGOUT_REDIRECT_URI: z.url().optional(),
  OIDC_ALLOW_HTTP: envBoolean(false),
};

/** The parsed configuration of the auth service. */
export type AuthConfig = z.infer<z.ZodObject<typeof authConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  const config = loadConfig(authConfigShape, env);
  if (!config.OIDC_ENABLED) return config;

  const required = ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;
  const missing = required.filter((name) => config[name] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((name) => `${name}: required when OIDC_ENABLED=true`));
  }
  return config;
}

/** The callback address registered at the provider: `OIDC_REDIRECT_URI`, else under `PUBLIC_URL`. */
export function oidcRedirectUri(config: AuthConfig): string {
  return config.OIDC_REDIRECT_URI ?? new URL('/api/auth/oidc/callback', config.PUBLIC_URL).href;
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
  ALLOW_LOCAL_AUTH: 'allow username/password sign-in and registration',
  PUBLIC_URL: 'address users reach the gateway at (default of OIDC_REDIRECT_URI)',
  OIDC_ENABLED: 'single sign-on with an OpenID Connect provider',
  OIDC_ISSUER_URL: 'issuer of the provider, as its discovery document says (required with OIDC)',
  OIDC_CLIENT_ID: 'client id registered at the provider (required with OIDC)',
  OIDC_CLIENT_SECRET: 'client secret (required with OIDC)',
  OIDC_REDIRECT_URI:
    'callback registered at the provider (default ${PUBLIC_URL}/api/auth/oidc/callback)',
  OIDC_SCOPES: 'scopes asked for',
  OIDC_AUTO_REGISTER: 'create an account for a provider user with none',
  OIDC_ROLE_CLAIM:
    'claim (or dotted path) holding groups or roles, e.g. groups, realm_access.roles',
  OIDC_ADMIN_VALUES: 'comma-separated values of that claim that make an admin',
  OIDC_POST_LOGIN_REDIRECT: 'page the callback sends the browser to, tokens in the fragment',
  OIDC_POST_LOGOUT_REDIRECT_URI: 'where the provider returns after RP-initiated logout',
  OIDC_ALLOW_HTTP: 'allow a plain-http provider (labs and tests only)',
};

/** The `--help` text: every variable with its default. */
export function authConfigHelp(): string {
  return configHelp(authConfigShape, {
    title: 'readur auth service: users, sign-in, tokens, API keys and single sign-on',
    entry: 'services/auth/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
