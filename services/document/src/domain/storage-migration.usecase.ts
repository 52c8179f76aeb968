import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import { isStorageNotFound, type Storage } from '@readur/storage';
import { derivedKeys } from './archive.builder';
import {
  storageMigrationRepository,
  type StoredDocumentRef,
} from '../data/storage-migration.repository';

/** Why one document could not be migrated. */
export type MigrationFailureReason =
  'source_missing' | 'checksum_mismatch' | 'derived_mismatch' | 'copy_failed';

/** The outcome of one run of the storage migration. */
export interface StorageMigrationReport {
  total: number;
  copied: number;
  /** Already in the target with the right checksum; not copied again. */
  present: number;
  /** Archive PDFs and thumbnails copied beside the originals (verified against the source). */
  derived_copied: number;
  failed: Array<{ document_id: string; storage_key: string; reason: MigrationFailureReason }>;
}

/** What the migration works with. */
export interface StorageMigrationDeps {
  knex: Knex;
  source: Storage;
  target: Storage;
  logger: Logger;
}

/** Options of one run. */
export interface StorageMigrationOptions {
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

type Outcome = 'copied' | 'present' | MigrationFailureReason;

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** True when the target holds exactly the document's bytes (size, then SHA-256 read back). */
async function targetMatches(target: Storage, document: StoredDocumentRef): Promise<boolean> {
  const info = await target.stat(document.storage_key);
  if (!info || info.size !== document.file_size) return false;
  return (await sha256Of(await target.get(document.storage_key))) === document.file_hash;
}

async function migrateOne(
  deps: StorageMigrationDeps,
  document: StoredDocumentRef,
  dryRun: boolean,
): Promise<Outcome> {
  const { source, target } = deps;
  if (await targetMatches(target, document)) return 'present';

  let bytes: Readable;
  try {
    bytes = await source.get(document.storage_key);
  } catch (error) {
    if (isStorageNotFound(error)) return 'source_missing';
    throw error;
  }
  if (dryRun) {
    bytes.destroy();
    return 'copied';
  }

  await target.put(document.storage_key, bytes);
  if (await targetMatches(target, document)) return 'copied';

  await target.delete(document.storage_key);
  return 'checksum_mismatch';
}

/** Copies a derived file (archive, thumbnail) when the source has it; true when one was copied. */
async function copyDerived(deps: StorageMigrationDeps, key: string): Promise<boolean | 'mismatch'> {
  const info = await deps.source.stat(key);
  if (!info) return false;
  const sourceHash = await sha256Of(await deps.source.get(key));
  const present = await deps.target.stat(key);
  if (present?.size === info.size && (await sha256Of(await deps.target.get(key))) === sourceHash) {
    return false;
  }

  await deps.target.put(key, await deps.source.get(key));
  if ((await sha256Of(await deps.target.get(key))) === sourceHash) return true;
  await deps.target.delete(key);
  return 'mismatch';
}

async function migrateWithDerived(
  deps: StorageMigrationDeps,
  document: StoredDocumentRef,
  dryRun: boolean,
  report: StorageMigrationReport,
): Promise<Outcome> {
  const outcome = await migrateOne(deps, document, dryRun);
  if (dryRun || (outcome !== 'copied' && outcome !== 'present')) return outcome;

  const keys = derivedKeys(document.user_id, document.id);
  for (const key of [keys.archive, keys.thumbnail]) {
    const copied = await copyDerived(deps, key);
    if (copied === 'mismatch') return 'derived_mismatch';
    if (copied) report.derived_copied += 1;
  }
  return outcome;
}

/**
 * Copies every document's file from `source` to `target` under the same key and verifies each
 * object by reading it back and comparing its SHA-256 with the document's `file_hash`. Objects
 * already present with the right checksum are left alone, so a run can be repeated. A
 * mismatching copy is removed from the target. Archive PDFs and thumbnails are copied too and
 * compared with their source by SHA-256. The source is never changed.
 */
export async function migrateStorage(
  deps: StorageMigrationDeps,
  options: StorageMigrationOptions = {},
): Promise<StorageMigrationReport> {
  const batchSize = options.batchSize ?? 200;
  const total = await storageMigrationRepository.count(deps.knex);
  const report: StorageMigrationReport = {
    total,
    copied: 0,
    present: 0,
    derived_copied: 0,
    failed: [],
  };

  let afterId: string | undefined;
  let done = 0;
  for (;;) {
    const page = await storageMigrationRepository.page(deps.knex, afterId, batchSize);
    if (page.length === 0) break;

    for (const document of page) {
      const outcome = await migrateWithDerived(
        deps,
        document,
        options.dryRun ?? false,
        report,
      ).catch((error: unknown) => {
        deps.logger.warn('storage migration copy failed', { document_id: document.id, error });
        return 'copy_failed' as const;
      });
      tally(report, document, outcome);
      options.onProgress?.(++done, total);
    }
    afterId = page[page.length - 1]?.id;
  }
  return report;
}

function tally(report: StorageMigrationReport, document: StoredDocumentRef, outcome: Outcome) {
  if (outcome === 'copied') report.copied += 1;
  else if (outcome === 'present') report.present += 1;
  else
    report.failed.push({
      document_id: document.id,
      storage_key: document.storage_key,
      reason: outcome,
    });
}
