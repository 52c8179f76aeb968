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
import { STORAGE_VARIABLE_HELP, storageConfigProblems, storageConfigShape } from '@readur/storage';

/** Every variable the document service reads, validated once at start-up. */
export const documentConfigShape = {
  ...baseConfig,
  ...databaseConfig,
  ...busConfig,
  PORT: envPort(8082),
  PROMETHEUS_PORT: envPort(9102),
  ...storageConfigShape,
  MAX_UPLOAD_SIZE_MB: envInt(500, 1),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  REDIS_ENABLED: envBoolean(false),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('readur:'),
  SEARCH_CACHE_TTL_SECONDS: envInt(300, 1),
  SEARCH_FUZZY_THRESHOLD: z.coerce.number().min(0.05).max(1).default(0.3),
};

/** The parsed configuration of the document service. */
export type DocumentConfig = z.infer<z.ZodObject<typeof documentConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadDocumentConfig(
  env: Record<string, string | undefined> = process.env,
): DocumentConfig {
  const config = loadConfig(documentConfigShape, env);
  const problems = storageConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const DESCRIPTIONS: Record<string, string> = {
  PORT: 'HTTP port',
  DATABASE_URL: 'PostgreSQL connection string (required)',
  INTERNAL_API_TOKEN: 'shared secret between the gateway and services (required)',
  ...STORAGE_VARIABLE_HELP,
  MAX_UPLOAD_SIZE_MB: 'largest accepted upload, in MiB',
  REDIS_ENABLED: 'cache search answers in Redis (5 minutes by default)',
  REDIS_URL: 'Redis address of the search cache',
  REDIS_KEY_PREFIX: 'prefix of every cache key',
  SEARCH_CACHE_TTL_SECONDS: 'lifetime of a cached search answer',
  SEARCH_FUZZY_THRESHOLD: 'trigram similarity (0-1) of mode=fuzzy without threshold=',
};

/** The `--help` text: every variable with its default. */
export function documentConfigHelp(): string {
  return configHelp(documentConfigShape, {
    title: 'readur document service: uploads, files, OCR results and search',
    entry: 'services/document/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
