import { z } from 'zod';
import { baseConfig, ConfigError, databaseConfig, loadConfig } from '@readur/config';
import { createLogger } from '@readur/logger';
import {
  LocalStorage,
  createStorage,
  prepareStorage,
  storageConfigProblems,
  storageConfigShape,
} from '@readur/storage';
import { createDatabase } from './data/database';
import { migrateStorage } from './domain/storage-migration.usecase';

const HELP = `readur storage migration: copy stored documents from the local directory to S3

Usage: node services/document/dist/storage-migrate.js [--dry-run] [--from DIR] [--batch N]

Copies every document's file from STORAGE_PATH (or --from DIR) to the S3 bucket of the S3_*
variables under the same key, then reads each object back and compares its SHA-256 with the
document's recorded checksum. Objects already in the bucket with the right checksum are
skipped, so the command can be run again after an interruption. The local files are never
changed. Exit status: 0 when every document is in S3 and verified, 1 when any failed, 2 for
invalid usage or configuration. Set S3_ENABLED=true for the document service afterwards.

Options:
  --dry-run   check what would be copied; write nothing
  --from DIR  the local storage directory (default STORAGE_PATH)
  --batch N   documents read from the database per query (default 200)
  --help      this text

Environment variables:
  DATABASE_URL (required), STORAGE_PATH, S3_ENDPOINT_URL, S3_BUCKET_NAME, S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY, S3_REGION, S3_USE_SSL, S3_VERIFY_SSL, LOG_LEVEL
`;

const argsSchema = z.object({
  dryRun: z.boolean(),
  from: z.string().min(1).optional(),
  batch: z.coerce.number().int().min(1).max(10_000).default(200),
});

function parseArgs(argv: string[]): z.infer<typeof argsSchema> {
  const raw: Record<string, unknown> = { dryRun: false };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--dry-run') raw.dryRun = true;
    else if (arg === '--from') raw.from = argv[++index];
    else if (arg === '--batch') raw.batch = argv[++index];
    else throw new ConfigError([`unknown argument: ${arg}`]);
  }
  return argsSchema.parse(raw);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }

  const args = parseArgs(argv);
  const config = loadConfig(
    { ...baseConfig, ...databaseConfig, ...storageConfigShape },
    process.env,
  );
  const s3 = { ...config, S3_ENABLED: true };
  const problems = storageConfigProblems(s3);
  if (problems.length > 0) throw new ConfigError(problems);

  const logger = createLogger('storage-migrate', config.LOG_LEVEL);
  const knex = createDatabase(config.DATABASE_URL);
  try {
    const target = createStorage(s3);
    if (!args.dryRun) await prepareStorage(target);
    const report = await migrateStorage(
      { knex, source: new LocalStorage(args.from ?? config.STORAGE_PATH), target, logger },
      {
        dryRun: args.dryRun,
        batchSize: args.batch,
        onProgress: (done, total) => {
          if (done % 100 === 0 || done === total) process.stderr.write(`${done}/${total}\n`);
        },
      },
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    await knex.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigError || error instanceof z.ZodError ? error.message : String(error);
    process.stderr.write(`storage-migrate: ${message}\n`);
    process.exit(error instanceof ConfigError || error instanceof z.ZodError ? 2 : 1);
  },
);
