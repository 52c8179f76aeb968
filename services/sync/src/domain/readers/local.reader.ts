import { createReadStream } from 'node:fs';
import { access, constants, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LocalFolderConfig } from '../source.config';
import {
  hasWantedExtension,
  isHiddenOrTemporary,
  type SourceEntry,
  type SourceReader,
} from './reader.types';

/**
 * Files under local directories. Directories are read entry by entry (`opendir`), so a folder
 * of any size is walked in bounded memory. A file whose mtime is younger than the stability
 * window is reported `unstable` and taken on a later pass.
 */
export class LocalFolderReader implements SourceReader {
  constructor(
    private readonly config: LocalFolderConfig,
    private readonly stabilityMs: number,
  ) {}

  async *list(): AsyncIterable<SourceEntry> {
    for (const root of this.config.paths) yield* this.walk(path.resolve(root));
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

  private async *walk(directory: string): AsyncGenerator<SourceEntry> {
    const handle = await opendir(directory);
    const subdirectories: string[] = [];
    for await (const dirent of handle) {
      if (isHiddenOrTemporary(dirent.name)) continue;
      const full = path.join(directory, dirent.name);
      if (dirent.isDirectory()) {
        if (this.config.recursive) subdirectories.push(full);
      } else if (dirent.isFile() && hasWantedExtension(dirent.name, this.config.extensions)) {
        const entry = await this.entryOf(full);
        if (entry) yield entry;
      }
    }
    for (const subdirectory of subdirectories) yield* this.walk(subdirectory);
  }

  private async entryOf(file: string): Promise<SourceEntry | undefined> {
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined;
    const age = Date.now() - info.mtimeMs;
    return {
      path: file,
      size: info.size,
      version: `${Math.trunc(info.mtimeMs)}`,
      ...(age < this.stabilityMs ? { unstable: true } : {}),
    };
  }
}
