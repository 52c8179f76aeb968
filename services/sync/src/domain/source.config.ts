import { z } from 'zod';
import type { SourceType } from './source.types';

const extensions = z
  .array(z.string().min(1).max(20))
  .max(100)
  .default([])
  .transform((list) => list.map((ext) => ext.replace(/^\./, '').toLowerCase()));
const intervalSeconds = z
  .number()
  .int()
  .min(1)
  .max(31 * 24 * 3600)
  .default(3600);
const common = {
  extensions,
  interval_seconds: intervalSeconds,
  /** Remove a document when its file disappears from the source. */
  delete_missing: z.boolean().default(false),
};

/** `local_folder`: directories on this machine (or a mounted network share). */
export const localFolderConfig = z.object({
  ...common,
  paths: z.array(z.string().min(1)).min(1).max(50),
  recursive: z.boolean().default(true),
  /** Watch for changes (chokidar) between scheduled syncs. */
  watch: z.boolean().default(true),
  /** Poll instead of native events: for NFS/SMB mounts where events do not arrive. */
  use_polling: z.boolean().default(false),
});

/** `webdav`: Nextcloud, ownCloud or any WebDAV server. */
export const webdavConfig = z.object({
  ...common,
  server_url: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1),
  password: z.string().min(1).optional(),
  folders: z.array(z.string().min(1)).min(1).max(50).default(['/']),
  server_type: z.enum(['nextcloud', 'owncloud', 'generic']).default('generic'),
});

/** `s3`: a bucket (or a prefix of one) on any S3-compatible server. */
export const s3SourceConfig = z.object({
  ...common,
  endpoint_url: z.url({ protocol: /^https?$/ }),
  bucket: z.string().min(3).max(63),
  prefix: z.string().default(''),
  region: z.string().default('us-east-1'),
  access_key_id: z.string().min(1),
  secret_access_key: z.string().min(1).optional(),
  verify_ssl: z.boolean().default(true),
});

/** The config schema of each source type. */
export const SOURCE_CONFIG_SCHEMAS = {
  local_folder: localFolderConfig,
  webdav: webdavConfig,
  s3: s3SourceConfig,
} as const;

/** Parsed configs. */
export type LocalFolderConfig = z.infer<typeof localFolderConfig>;
export type WebdavConfig = z.infer<typeof webdavConfig>;
export type S3SourceConfig = z.infer<typeof s3SourceConfig>;

/** The secret field of each source type: stored encrypted, never returned. */
export const SECRET_FIELD: Record<SourceType, string | undefined> = {
  local_folder: undefined,
  webdav: 'password',
  s3: 'secret_access_key',
};

/** Splits a config into what is stored in clear and its secret. */
export function splitSecret(
  type: SourceType,
  config: Record<string, unknown>,
): { publicConfig: Record<string, unknown>; secret: string | undefined } {
  const field = SECRET_FIELD[type];
  if (!field) return { publicConfig: config, secret: undefined };
  const { [field]: secret, ...publicConfig } = config;
  return { publicConfig, secret: typeof secret === 'string' ? secret : undefined };
}
