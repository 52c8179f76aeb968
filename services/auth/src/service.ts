import type http from 'node:http';
import { createBus } from '@readur/bus';
import {
  createApp,
  finishApp,
  HEALTH_CHECK_TIMEOUT_MS,
  listen,
  type HealthCheck,
  type OptionalHealthCheck,
} from '@readur/http';
import { createLogger, type Logger } from '@readur/logger';
import { createMetrics, startMetricsServer } from '@readur/metrics';
import { oidcRedirectUri, type AuthConfig } from './config';
import { checkDatabase, createDatabase, migrate } from './data/database';
import { createEventOutbox } from './data/event.outbox';
import { ApiKeyRepository } from './data/api-key.repository';
import { OidcLoginRepository } from './data/oidc-login.repository';
import { SessionRepository } from './data/session.repository';
import { SigningKeyRepository } from './data/signing-key.repository';
import { UserRepository } from './data/user.repository';
import { bootstrapAdmin } from './domain/admin-bootstrap.usecase';
import type { AuthDeps } from './domain/auth.deps';
import { createLoginThrottle } from './domain/login.throttle';
import { createOidcClient } from './domain/oidc.client';
import type { OidcDeps } from './domain/oidc-login.usecase';
import { TokenService } from './domain/token.service';
import { apiKeyRoutes } from './http/api-key.routes';
import { authRoutes } from './http/auth.routes';
import { internalRoutes } from './http/internal.routes';
import { oidcDisabledRoutes, oidcRoutes } from './http/oidc.routes';
import { userRoutes } from './http/user.routes';

/** The service name: logger field, bus client name, metrics label. */
export const SERVICE = 'auth';

/** A running auth service. */
export interface RunningAuthService {
  port: number;
  /** Stops HTTP first, then the outbox relay, the bus and the database pool. */
  close(): Promise<void>;
}

/** Test and embedding hooks; production uses the defaults. */
export interface AuthServiceOptions {
  logger?: Logger;
  /** Where the one-time generated admin password goes (default: stdout). */
  announce?: (line: string) => void;
}

function announceToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Starts the auth service: migrates, creates the first admin, loads the signing key, starts
 * the bus and the outbox relay, then listens on `config.PORT` (0 picks a free port).
 */
export async function startAuthService(
  config: AuthConfig,
  options: AuthServiceOptions = {},
): Promise<RunningAuthService> {
  const logger = options.logger ?? createLogger(SERVICE, config.LOG_LEVEL);
  const metrics = createMetrics(SERVICE);
  const db = createDatabase(config.DATABASE_URL);
  const bus = createBus(config, { service: SERVICE, logger, metrics });
  const outbox = createEventOutbox({ db, bus, logger });
  const stops: Array<() => Promise<void>> = [() => db.destroy()];

  try {
    await migrate(db);

    const tokens = await TokenService.create(
      new SigningKeyRepository(db),
      {
        issuer: config.JWT_ISSUER,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        rotationSeconds: config.SIGNING_KEY_ROTATION_DAYS * 86_400,
        publishLeadSeconds: config.SIGNING_KEY_PUBLISH_LEAD_SECONDS,
      },
      logger,
    );
    tokens.start();
    stops.unshift(() => Promise.resolve(tokens.stop()));
    const deps: AuthDeps = {
      db,
      users: new UserRepository(db),
      sessions: new SessionRepository(db),
      apiKeys: new ApiKeyRepository(db),
      tokens,
      throttle: createLoginThrottle(db, {
        maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
      }),
      writeEvent: outbox.writeEvent,
      logger,
      policy: {
        allowRegistration: config.ALLOW_REGISTRATION,
        allowLocalAuth: config.ALLOW_LOCAL_AUTH,
        refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
        sessionMaxAgeSeconds: config.SESSION_MAX_AGE_SECONDS,
      },
    };

    const admin = await bootstrapAdmin(deps, {
      username: config.ADMIN_USERNAME,
      email: config.ADMIN_EMAIL,
      password: config.ADMIN_PASSWORD,
    });
    if (admin.generatedPassword) {
      (options.announce ?? announceToStdout)(
        `*** Readur admin account created: username "${config.ADMIN_USERNAME}", ` +
          `password "${admin.generatedPassword}" (shown once; change it after signing in) ***`,
      );
    }

    stops.unshift(() => bus.close());
    await outbox.start();
    stops.unshift(() => outbox.stop());

    const app = createApp({
      service: SERVICE,
      logger,
      metrics,
      trustProxy: 'loopback',
      jsonLimit: '64kb',
      readiness: readinessChecks(config, {
        database: () => checkDatabase(db),
        broker: () => bus.check(),
      }),
    });
    app.use('/api/auth/keys', apiKeyRoutes(deps, config.INTERNAL_API_TOKEN));
    app.use('/api/auth/oidc', oidcRouter(config, deps));
    app.use(
      '/api/auth',
      authRoutes(deps, config.INTERNAL_API_TOKEN, {
        enabled: config.OIDC_ENABLED,
        loginUrl: config.OIDC_ENABLED ? '/api/auth/oidc/login' : undefined,
      }),
    );
    app.use('/api/users', userRoutes(deps, config.INTERNAL_API_TOKEN));
    app.use('/internal/auth', internalRoutes(deps, config.INTERNAL_API_TOKEN));
    finishApp(app, logger);

    const server = await listen(app, config.PORT);
    stops.unshift(() => server.close());

    if (config.PROMETHEUS_ENABLED) {
      const metricsServer = await startMetricsServer(metrics, config.PROMETHEUS_PORT);
      stops.unshift(() => closeServer(metricsServer));
    }

    logger.info('auth service listening', { port: server.port });
    return { port: server.port, close: () => runAll(stops) };
  } catch (error) {
    await runAll(stops).catch(() => undefined);
    throw error;
  }
}

/**
 * The required checks, plus the provider's discovery document when OIDC is enabled: optional,
 * since password sign-in, refresh and introspection work without it (discovery is retried at
 * the next sign-on).
 */
function readinessChecks(
  config: AuthConfig,
  required: Record<string, HealthCheck>,
): Record<string, HealthCheck | OptionalHealthCheck> {
  if (!config.OIDC_ENABLED || !config.OIDC_ISSUER_URL) return required;

  const discovery = new URL(
    `${config.OIDC_ISSUER_URL.replace(/\/$/, '')}/.well-known/openid-configuration`,
  );
  return { ...required, oidc: { check: () => checkDiscovery(discovery), optional: true } };
}

/** The discovery document answers 200 with an `issuer`; aborted at the readiness limit. */
async function checkDiscovery(url: URL): Promise<void> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`discovery answered ${res.status}`);
  }
  const metadata = (await res.json()) as { issuer?: unknown };
  if (typeof metadata.issuer !== 'string') throw new Error('discovery document has no issuer');
}

function oidcRouter(config: AuthConfig, deps: AuthDeps) {
  const { OIDC_ISSUER_URL: issuerUrl, OIDC_CLIENT_ID: clientId } = config;
  const { OIDC_CLIENT_SECRET: clientSecret } = config;
  if (!config.OIDC_ENABLED || !issuerUrl || !clientId || !clientSecret) return oidcDisabledRoutes();

  const redirectUri = oidcRedirectUri(config);
  const oidcDeps: OidcDeps = {
    ...deps,
    oidc: createOidcClient(
      {
        issuerUrl,
        clientId,
        clientSecret,
        redirectUri,
        scopes: config.OIDC_SCOPES,
        allowHttp: config.OIDC_ALLOW_HTTP,
        postLogoutRedirectUri: config.OIDC_POST_LOGOUT_REDIRECT_URI,
      },
      deps.logger,
    ),
    oidcLogins: new OidcLoginRepository(deps.db),
    oidcPolicy: {
      autoRegister: config.OIDC_AUTO_REGISTER,
      roleMapping: {
        claim: config.OIDC_ROLE_CLAIM,
        adminValues: config.OIDC_ADMIN_VALUES.split(',')
          .map((value) => value.trim())
          .filter(Boolean),
      },
    },
  };
  return oidcRoutes(oidcDeps, config.INTERNAL_API_TOKEN, {
    redirectUri,
    postLoginRedirect: config.OIDC_POST_LOGIN_REDIRECT,
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

async function runAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop();
}
