import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import { sourceFileRepository } from '../data/source-file.repository';
import { sourceRepository, type SourceChanges } from '../data/source.repository';
import { syncRunRepository } from '../data/sync-run.repository';
import type { CredentialCipher } from './credential.cipher';
import { createReader } from './readers/reader.factory';
import { SOURCE_CONFIG_SCHEMAS, splitSecret } from './source.config';
import {
  invalidSourceConfig,
  localPathNotAllowed,
  sourceDisabled,
  sourceNotFound,
  sourceUnreachable,
  syncAlreadyRunning,
  syncNotRunning,
} from './source.errors';
import type { RunRecord, SourceFileRecord, SourceRecord, SourceType } from './source.types';

/** What the source use cases work with. */
export interface SourceDeps {
  knex: Knex;
  cipher: CredentialCipher;
  stabilityMs: number;
  requestTimeoutMs: number;
  /** Directories local folder sources may read; empty: only admins may add local folders. */
  localRoots: string[];
  /** Called after a change that the scheduler or the watchers must see. */
  onSourcesChanged(): void;
}

/** Who is asking, as the gateway vouched for it. */
export interface Caller {
  userId: string;
  role: 'admin' | 'user';
}

/** A new source as the API receives it. */
export interface SourceInput {
  name: string;
  source_type: SourceType;
  enabled: boolean;
  config: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validConfig(type: SourceType, config: Record<string, unknown>) {
  const parsed = SOURCE_CONFIG_SCHEMAS[type].safeParse(config);
  if (!parsed.success) {
    throw invalidSourceConfig(
      parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
    );
  }
  return parsed.data as Record<string, unknown> & { interval_seconds: number };
}

const inside = (root: string, candidate: string) => {
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** The folders of a local folder configuration that lie outside every one of `localRoots`. */
export function pathsOutsideRoots(localRoots: string[], config: Record<string, unknown>): string[] {
  const paths = (config.paths as string[] | undefined) ?? [];
  return paths.filter((candidate) => !localRoots.some((root) => inside(root, candidate)));
}

/**
 * A local folder source reads this machine's disk, so users may name only folders below
 * `SYNC_LOCAL_ROOTS`; admins may name any folder. (The runner checks users' folders again at
 * every sync.)
 */
function checkLocalPaths(
  deps: SourceDeps,
  caller: Caller,
  type: SourceType,
  config: Record<string, unknown>,
) {
  if (type !== 'local_folder' || caller.role === 'admin') return;
  const refused = pathsOutsideRoots(deps.localRoots, config);
  if (refused.length > 0) throw localPathNotAllowed(refused);
}

async function findOwned(deps: SourceDeps, userId: string, id: string): Promise<SourceRecord> {
  if (!UUID.test(id)) throw sourceNotFound();
  const source = await sourceRepository.findForUser(deps.knex, id, userId);
  if (!source) throw sourceNotFound();
  return source;
}

/** Creates a source; its secret is stored encrypted. */
export async function createSource(deps: SourceDeps, caller: Caller, input: SourceInput) {
  const config = validConfig(input.source_type, input.config);
  checkLocalPaths(deps, caller, input.source_type, config);
  const { publicConfig, secret } = splitSecret(input.source_type, config);
  const source = await sourceRepository.insert(deps.knex, {
    id: randomUUID(),
    user_id: caller.userId,
    name: input.name,
    source_type: input.source_type,
    enabled: input.enabled,
    config: publicConfig,
    secret_ciphertext: secret === undefined ? null : deps.cipher.encrypt(secret),
    interval_seconds: config.interval_seconds,
    created_by_role: caller.role === 'admin' ? 'admin' : 'user',
  });
  deps.onSourcesChanged();
  return source;
}

/** The caller's sources. */
export const listSources = (deps: SourceDeps, userId: string) =>
  sourceRepository.listForUser(deps.knex, userId);

/** One of the caller's sources. */
export const getSource = (deps: SourceDeps, userId: string, id: string) =>
  findOwned(deps, userId, id);

/** Changes name, enabled or config (merged over the stored one; a new secret replaces the old). */
export async function updateSource(
  deps: SourceDeps,
  caller: Caller,
  id: string,
  changes: {
    name?: string | undefined;
    enabled?: boolean | undefined;
    config?: Record<string, unknown> | undefined;
  },
) {
  const source = await findOwned(deps, caller.userId, id);
  const update: SourceChanges = {};
  if (changes.name !== undefined) update.name = changes.name;
  if (changes.enabled !== undefined) update.enabled = changes.enabled;
  if (changes.config) {
    const { secret } = splitSecret(source.source_type, changes.config);
    const merged = validConfig(source.source_type, { ...source.config, ...changes.config });
    checkLocalPaths(deps, caller, source.source_type, merged);
    update.config = splitSecret(source.source_type, merged).publicConfig;
    update.interval_seconds = merged.interval_seconds;
    update.created_by_role = caller.role === 'admin' ? 'admin' : 'user';
    if (secret !== undefined) update.secret_ciphertext = deps.cipher.encrypt(secret);
  }
  const updated = await sourceRepository.update(deps.knex, id, update);
  deps.onSourcesChanged();
  return updated;
}

/** Deletes a source and what is known of its files; its documents stay. */
export async function deleteSource(deps: SourceDeps, userId: string, id: string) {
  await findOwned(deps, userId, id);
  await syncRunRepository.requestStop(deps.knex, id);
  await sourceRepository.delete(deps.knex, id);
  deps.onSourcesChanged();
}

/** Makes the source due now; 409 while one of its syncs runs. */
export async function startSyncNow(deps: SourceDeps, userId: string, id: string) {
  const source = await findOwned(deps, userId, id);
  if (!source.enabled) throw sourceDisabled();
  const latest = await syncRunRepository.latest(deps.knex, id);
  const leased = source.lease_expires_at !== null && source.lease_expires_at.getTime() > Date.now();
  if (latest?.status === 'running' && leased) throw syncAlreadyRunning();
  await sourceRepository.makeDue(deps.knex, id);
  deps.onSourcesChanged();
}

/** Asks a running sync to stop after its current batch. */
export async function stopSync(deps: SourceDeps, userId: string, id: string) {
  await findOwned(deps, userId, id);
  if (!(await syncRunRepository.requestStop(deps.knex, id))) throw syncNotRunning();
}

/** What `GET /api/sources/:id/status` shows. */
export interface SourceStatus {
  source: SourceRecord;
  run: RunRecord | undefined;
  failures: SourceFileRecord[];
}

/** The latest run (with its progress while it runs) and the files that failed. */
export async function sourceStatus(
  deps: SourceDeps,
  userId: string,
  id: string,
): Promise<SourceStatus> {
  const source = await findOwned(deps, userId, id);
  const [run, failures] = await Promise.all([
    syncRunRepository.latest(deps.knex, id),
    sourceFileRepository.failures(deps.knex, id, 50),
  ]);
  return { source, run, failures };
}

/** Checks a configuration without saving it: the source must be reachable and listable. */
export async function testSource(
  deps: SourceDeps,
  caller: Caller,
  input: Pick<SourceInput, 'source_type' | 'config'>,
) {
  const config = validConfig(input.source_type, input.config);
  checkLocalPaths(deps, caller, input.source_type, config);
  const { publicConfig, secret } = splitSecret(input.source_type, config);
  const reader = createReader(
    { source_type: input.source_type, config: publicConfig, secret },
    deps,
  );
  try {
    await reader.probe();
  } catch (error) {
    throw sourceUnreachable(error instanceof Error ? error.message : String(error));
  }
}
