import type { FSWatcher } from 'chokidar';
import chokidar from 'chokidar';
import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import { sourceRepository } from '../data/source.repository';
import { isHiddenOrTemporary } from './readers/reader.types';
import { SOURCE_CONFIG_SCHEMAS } from './source.config';

/** Keeps one chokidar watcher per enabled, watched local folder source. */
export interface FolderWatchers {
  /** Re-reads which sources to watch (after a create, PATCH or DELETE). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const DEBOUNCE_MS = 200;

/**
 * Watches local folder sources between scheduled syncs (polling where `use_polling` is set, for
 * network filesystems). A file counts as written once its size has been stable for
 * `FILE_STABILITY_CHECK_MS` (chokidar's `awaitWriteFinish`); then the source is made due and
 * the scheduler woken. The sync itself checks size, mtime and ctime again (`LocalFolderReader`)
 * and compares with what it knows, so an event is only a hint.
 */
export function startFolderWatchers(deps: {
  knex: Knex;
  logger: Logger;
  stabilityMs: number;
  onChange: () => void;
}): FolderWatchers {
  const watchers = new Map<string, { key: string; watcher: FSWatcher }>();
  const timers = new Map<string, NodeJS.Timeout>();

  const changed = (sourceId: string) => {
    clearTimeout(timers.get(sourceId));
    timers.set(
      sourceId,
      setTimeout(() => {
        timers.delete(sourceId);
        void sourceRepository
          .makeDue(deps.knex, sourceId)
          .then(deps.onChange)
          .catch((error: unknown) => deps.logger.warn('watch trigger failed', { error }));
      }, DEBOUNCE_MS),
    );
  };

  const watch = (sourceId: string, config: Record<string, unknown>) => {
    const parsed = SOURCE_CONFIG_SCHEMAS.local_folder.parse(config);
    const watcher = chokidar.watch(parsed.paths, {
      ignoreInitial: true,
      usePolling: parsed.use_polling,
      interval: 1000,
      ...(parsed.recursive ? {} : { depth: 0 }),
      awaitWriteFinish: { stabilityThreshold: deps.stabilityMs, pollInterval: 100 },
      ignored: (path: string) => isHiddenOrTemporary(path.slice(path.lastIndexOf('/') + 1)),
    });
    for (const event of ['add', 'change', 'unlink'] as const) {
      watcher.on(event, () => changed(sourceId));
    }
    watcher.on('error', (error: unknown) => deps.logger.warn('folder watcher error', { error }));
    return watcher;
  };

  return {
    refresh: async () => {
      const sources = await sourceRepository.listLocalFolders(deps.knex);
      const wanted = new Map(
        sources
          .filter((source) => source.config.watch !== false)
          .map((source) => [source.id, source]),
      );
      for (const [id, entry] of watchers) {
        const source = wanted.get(id);
        if (source && JSON.stringify(source.config) === entry.key) continue;
        await entry.watcher.close();
        watchers.delete(id);
      }
      for (const [id, source] of wanted) {
        if (watchers.has(id)) continue;
        watchers.set(id, { key: JSON.stringify(source.config), watcher: watch(id, source.config) });
      }
    },
    close: async () => {
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.all([...watchers.values()].map((entry) => entry.watcher.close()));
      watchers.clear();
    },
  };
}
