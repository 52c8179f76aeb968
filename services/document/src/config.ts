import { z } from 'zod';
import {
  baseConfig,
  busConfig,
  configVariables,
  databaseConfig,
  envInt,
  envPort,
  loadConfig,
} from '@readur/config';

/** Every variable the document service reads, validated once at start-up. */
export const documentConfigShape = {
  ...baseConfig,
  ...databaseConfig,
  ...busConfig,
  PORT: envPort(8082),
  PROMETHEUS_PORT: envPort(9102),
  STORAGE_PATH: z.string().min(1).default('./.data/documents'),
  MAX_UPLOAD_SIZE_MB: envInt(500, 1),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
};

/** The parsed configuration of the document service. */
export type DocumentConfig = z.infer<z.ZodObject<typeof documentConfigShape>>;

/** Parses `env`; throws a `ConfigError` listing every bad variable. */
export function loadDocumentConfig(
  env: Record<string, string | undefined> = process.env,
): DocumentConfig {
  return loadConfig(documentConfigShape, env);
}

const DESCRIPTIONS: Record<string, string> = {
  PORT: 'HTTP port',
  DATABASE_URL: 'PostgreSQL connection string (required)',
  INTERNAL_API_TOKEN: 'shared secret between the gateway and services (required)',
  STORAGE_PATH: 'directory of the stored files',
  MAX_UPLOAD_SIZE_MB: 'largest accepted upload, in MiB',
};

/** The `--help` text: every variable with its default. */
export function documentConfigHelp(): string {
  const lines = configVariables(documentConfigShape).map((name) => {
    const schema = documentConfigShape[name as keyof typeof documentConfigShape];
    const parsed = schema.safeParse(undefined);
    const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
    const note = DESCRIPTIONS[name] ? `  ${DESCRIPTIONS[name]}` : '';
    return `  ${name.padEnd(26)} ${fallback ? `(default ${fallback})` : ''}${note}`;
  });
  return ['readur document service', '', 'Environment variables:', ...lines, ''].join('\n');
}
