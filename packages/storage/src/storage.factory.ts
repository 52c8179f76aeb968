import { z } from 'zod';
import { envBoolean } from '@readur/config';
import { LocalStorage } from './local.storage';
import { S3Storage } from './s3.storage';
import type { Storage } from './storage.types';

/**
 * The storage variables of a service that stores files: a local directory by default, an
 * S3-compatible bucket with `S3_ENABLED=true`. Spread into the service's config shape.
 */
export const storageConfigShape = {
  STORAGE_PATH: z.string().min(1).default('./.data/documents'),
  S3_ENABLED: envBoolean(false),
  S3_ENDPOINT_URL: z.string().optional(),
  S3_BUCKET_NAME: z.string().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_USE_SSL: envBoolean(true),
  S3_VERIFY_SSL: envBoolean(true),
};

/** The parsed storage variables. */
export type StorageConfig = z.infer<z.ZodObject<typeof storageConfigShape>>;

/** What each storage variable means, for `--help`. */
export const STORAGE_VARIABLE_HELP: Record<keyof StorageConfig, string> = {
  STORAGE_PATH: 'directory of the stored files (when S3_ENABLED=false)',
  S3_ENABLED: 'store files in an S3-compatible bucket instead of STORAGE_PATH',
  S3_ENDPOINT_URL: 'S3 endpoint, e.g. https://minio.internal:9000 (required with S3)',
  S3_BUCKET_NAME: 'bucket; created at start-up when missing and allowed (required with S3)',
  S3_ACCESS_KEY_ID: 'access key (required with S3)',
  S3_SECRET_ACCESS_KEY: 'secret key (required secret with S3)',
  S3_REGION: 'region of the bucket',
  S3_USE_SSL: 'TLS when S3_ENDPOINT_URL names no scheme',
  S3_VERIFY_SSL: 'false accepts self-signed certificates (internal MinIO)',
};

const REQUIRED_WITH_S3 = [
  'S3_ENDPOINT_URL',
  'S3_BUCKET_NAME',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
] as const;

/** Variables that are missing for the chosen backend, as `ConfigError` problem lines. */
export function storageConfigProblems(config: StorageConfig): string[] {
  if (!config.S3_ENABLED) return [];
  return REQUIRED_WITH_S3.filter((name) => !config[name]).map(
    (name) => `${name}: required when S3_ENABLED=true`,
  );
}

/** Optional tuning that has no variable (tests use a small multipart part size). */
export interface StorageFactoryOptions {
  partSizeBytes?: number;
}

/** The backend the configuration chooses; call `prepareStorage` before first use. */
export function createStorage(config: StorageConfig, options: StorageFactoryOptions = {}): Storage {
  if (!config.S3_ENABLED) return new LocalStorage(config.STORAGE_PATH);

  const problems = storageConfigProblems(config);
  if (problems.length > 0) throw new Error(`invalid storage configuration: ${problems.join('; ')}`);
  return new S3Storage({
    endpointUrl: config.S3_ENDPOINT_URL ?? '',
    bucket: config.S3_BUCKET_NAME ?? '',
    accessKeyId: config.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: config.S3_SECRET_ACCESS_KEY ?? '',
    region: config.S3_REGION,
    useSsl: config.S3_USE_SSL,
    verifySsl: config.S3_VERIFY_SSL,
    ...(options.partSizeBytes ? { partSizeBytes: options.partSizeBytes } : {}),
  });
}

/** Start-up: creates the directory or the bucket when missing, then checks it can be used. */
export async function prepareStorage(storage: Storage): Promise<void> {
  if (storage instanceof S3Storage) await storage.ensureBucket();
  await storage.check();
}
