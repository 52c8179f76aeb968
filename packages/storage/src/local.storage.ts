import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError } from './storage.error';
import { validateKey } from './storage.key';
import type { ByteRange, Storage, StoredObject } from './storage.types';

const isErrno = (error: unknown, code: string): boolean =>
  (error as NodeJS.ErrnoException | undefined)?.code === code;

/**
 * Files in a local directory. Writes are atomic: the bytes go to a temporary file in the
 * target's own directory, are flushed to disk, then renamed over the real name, so a crash
 * never leaves half a file under a real key.
 */
export class LocalStorage implements Storage {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, source: Readable): Promise<{ size: number }> {
    const target = this.pathOf(key);
    const temp = path.join(path.dirname(target), `.${randomUUID()}.partial`);
    // Until the pipeline below listens, an early 'error' of the source must not go unheard
    // (an unhandled 'error' event ends the process); the pipeline then sees it as errored.
    const ignore = () => undefined;
    source.on('error', ignore);
    const handle = await this.inDirectory(path.dirname(target), () => open(temp, 'wx')).finally(
      () => source.off('error', ignore),
    );

    try {
      // `flush` fsyncs the descriptor before it is closed.
      await pipeline(source, createWriteStream(temp, { fd: handle, flush: true }));
      const { size } = await stat(temp);
      await rename(temp, target);
      await this.syncDirectory(path.dirname(target));
      return { size };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      const handle = await open(file, 'r');
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size, modifiedAt: info.mtime } : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.pathOf(from);
    const target = this.pathOf(to);
    try {
      await this.inDirectory(path.dirname(target), () => rename(source, target));
    } catch (error) {
      throw this.translate(error, from);
    }
    await this.syncDirectory(path.dirname(target));
    await this.pruneEmptyParents(source);
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    await this.pruneEmptyParents(file);
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  /**
   * Creates `directory` and runs `action` in it. A concurrent delete prunes directories it left
   * empty, so one may vanish between the mkdir and the action: then both are tried again.
   */
  private async inDirectory<T>(directory: string, action: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await mkdir(directory, { recursive: true });
        return await action();
      } catch (error) {
        // The directory may already be back (another writer made it): just try again.
        if (!isErrno(error, 'ENOENT') || attempt >= 5) throw error;
      }
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...validateKey(key).split('/'));
  }

  private translate(error: unknown, key: string): unknown {
    if (isErrno(error, 'ENOENT')) {
      return new StorageError('STORAGE_NOT_FOUND', `no stored object: ${key}`, { cause: error });
    }
    return error;
  }

  /** Makes a rename durable; some platforms cannot open directories, which is harmless. */
  private async syncDirectory(directory: string): Promise<void> {
    const handle = await open(directory, 'r').catch(() => undefined);
    if (!handle) return;
    await handle.sync().catch(() => undefined);
    await handle.close();
  }

  /** Removes directories left empty below the root, so deleted users leave no trees behind. */
  private async pruneEmptyParents(file: string): Promise<void> {
    let directory = path.dirname(file);
    while (directory.startsWith(this.root + path.sep)) {
      try {
        await rmdir(directory);
      } catch {
        return;
      }
      directory = path.dirname(directory);
    }
  }
}
