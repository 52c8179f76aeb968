import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  configHelp,
  databaseConfig,
  envInt,
  envPort,
  loadConfig,
} from '@readur/config';

/** Every variable the sync service reads, validated once at start-up. */
export const syncConfigShape = {
  ...baseConfig,
  ...databaseConfig,
  ...busConfig,
  PORT: envPort(8085),
  PROMETHEUS_PORT: envPort(9105),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  DOCUMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8082'),
  SYNC_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters'),
  FILE_STABILITY_CHECK_MS: envInt(2000, 0),
  SYNC_LOCAL_ROOTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((root) => root.trim())
        .filter(Boolean),
    ),
  SYNC_SCHEDULER_TICK_MS: envInt(5000, 50),
  SYNC_LEASE_SECONDS: envInt(60, 1),
  SYNC_MAX_CONCURRENT: envInt(2, 1),
  SYNC_RETRY_BASE_DELAY_MS: envInt(60_000, 0),
  SYNC_RETRY_MAX_DELAY_MS: envInt(6 * 3_600_000, 0),
  SYNC_REQUEST_TIMEOUT_MS: envInt(60_000, 1),
};

/** The parsed configuration of the sync service. */
export type SyncConfig = z.infer<z.ZodObject<typeof syncConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadSyncConfig(env: Record<string, string | undefined> = process.env): SyncConfig {
  return loadConfig(syncConfigShape, env);
}

const DESCRIPTIONS: Record<string, string> = {
  PORT: 'HTTP port',
  DATABASE_URL: 'PostgreSQL connection string (required)',
  INTERNAL_API_TOKEN: 'shared secret between the gateway and services (required)',
  DOCUMENT_SERVICE_URL: 'document service (internal ingest routes)',
  SYNC_ENCRYPTION_KEY: 'key that encrypts source credentials at rest (required secret)',
  SYNC_LOCAL_ROOTS: 'comma list of folders users may sync; empty: only admins add local folders',
  FILE_STABILITY_CHECK_MS: 'a local file is taken once size and mtime are stable this long',
  SYNC_SCHEDULER_TICK_MS: 'how often due sources are looked for',
  SYNC_LEASE_SECONDS: 'lease of a running sync; another replica resumes it after expiry',
  SYNC_MAX_CONCURRENT: 'syncs one replica runs at once',
  SYNC_RETRY_BASE_DELAY_MS: 'first retry delay of a failed file; doubles per attempt',
  SYNC_RETRY_MAX_DELAY_MS: 'longest retry delay of a failed file',
  SYNC_REQUEST_TIMEOUT_MS:
    'a call to the document service, a WebDAV or an S3 server fails after this long without an answer or data',
};

/** The `--help` text: every variable with its default. */
export function syncConfigHelp(): string {
  return configHelp(syncConfigShape, {
    title: 'readur sync service: local folder, WebDAV and S3 sources',
    entry: 'services/sync/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
