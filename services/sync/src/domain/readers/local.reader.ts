import { createReadStream } from 'node:fs';
import { access, constants, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalFolderConfig } from '../source.config';
import {
  hasWantedExtension,
  isHiddenOrTemporary,
  type SourceEntry,
  type SourceReader,
} from './reader.types';

/** A file as first seen, before its stability is known. */
interface Observed {
  entry: SourceEntry;
  ctimeMs: number;
  mtimeMs: number;
  seenAt: number;
}

/** Files that changed within the stability window wait in groups of at most this many. */
const PENDING_MAX = 100;

/**
 * Files under local directories. Directories are read entry by entry (`opendir`), so a folder
 * of any size is walked in bounded memory.
 *
 * A file is taken only once its size and mtime have been stable for the stability window. Its
 * ctime tells when anything of it last changed: every write and every `utimes` sets it, and no
 * program can set it back, so a copier that keeps the original's old mtime while the file grows
 * is still caught. A file that changed within the window is stat'ed a second time once the
 * window after that change has passed (one wait for up to `PENDING_MAX` such files); if size,
 * mtime or ctime moved in between, it is reported `unstable` and taken on a later pass.
 */
export class LocalFolderReader implements SourceReader {
  constructor(
    private readonly config: LocalFolderConfig,
    private readonly stabilityMs: number,
  ) {}

  async *list(): AsyncIterable<SourceEntry> {
    const pending: Observed[] = [];
    for (const root of this.config.paths) {
      for await (const observed of this.walk(path.resolve(root))) {
        if (this.settled(observed)) {
          yield observed.entry;
          continue;
        }
        pending.push(observed);
        if (pending.length >= PENDING_MAX) yield* this.recheck(pending.splice(0));
      }
    }
    yield* this.recheck(pending);
  }

  open(entry: SourceEntry): Promise<Readable> {
    return Promise.resolve(createReadStream(entry.path));
  }

  async probe(): Promise<void> {
    for (const root of this.config.paths) {
      const info = await stat(root);
      if (!info.isDirectory()) throw new Error(`${root} is not a directory`);
      await access(root, constants.R_OK);
    }
  }

  private async *walk(directory: string): AsyncGenerator<Observed> {
    const handle = await opendir(directory);
    const subdirectories: string[] = [];
    for await (const dirent of handle) {
      if (isHiddenOrTemporary(dirent.name)) continue;
      const full = path.join(directory, dirent.name);
      if (dirent.isDirectory()) {
        if (this.config.recursive) subdirectories.push(full);
      } else if (dirent.isFile() && hasWantedExtension(dirent.name, this.config.extensions)) {
        const observed = await this.observe(full);
        if (observed) yield observed;
      }
    }
    for (const subdirectory of subdirectories) yield* this.walk(subdirectory);
  }

  private async observe(file: string): Promise<Observed | undefined> {
    const seenAt = Date.now();
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined;
    return {
      entry: { path: file, size: info.size, version: `${Math.trunc(info.mtimeMs)}` },
      ctimeMs: info.ctimeMs,
      mtimeMs: info.mtimeMs,
      seenAt,
    };
  }

  /** When the window after the file's last change (or after it was seen, if that is earlier) ends. */
  private settledAt(observed: Observed): number {
    const lastChange = Math.max(observed.ctimeMs, observed.mtimeMs);
    return Math.min(lastChange, observed.seenAt) + this.stabilityMs;
  }

  private settled(observed: Observed): boolean {
    return this.settledAt(observed) <= observed.seenAt;
  }

  /** Stats each file again once its window has passed; a file that moved is `unstable`. */
  private async *recheck(pending: Observed[]): AsyncGenerator<SourceEntry> {
    if (pending.length === 0) return;
    const until = Math.max(...pending.map((observed) => this.settledAt(observed)));
    await sleep(Math.max(0, until - Date.now()));

    for (const first of pending) {
      const again = await this.observe(first.entry.path);
      if (!again) continue;
      const stable =
        again.entry.size === first.entry.size &&
        again.mtimeMs === first.mtimeMs &&
        again.ctimeMs === first.ctimeMs;
      yield stable ? first.entry : { ...again.entry, unstable: true };
    }
  }
}
