import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LocalStorage, StorageError, isStorageNotFound, validateKey } from '@readur/storage';

const failingStream = (firstChunk: string) =>
  new Readable({
    read() {
      this.push(firstChunk);
      this.destroy(new Error('connection reset'));
    },
  });

describe('LocalStorage', () => {
  let root: string;
  let storage: LocalStorage;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'readur-storage-'));
    storage = new LocalStorage(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('when a stream is put, then get returns the same bytes and stat the size', async () => {
    const { size } = await storage.put('u1/d1/report.pdf', Readable.from([Buffer.from('hello')]));

    expect(size).toBe(5);
    expect(await text(await storage.get('u1/d1/report.pdf'))).toBe('hello');
    expect((await storage.stat('u1/d1/report.pdf'))?.size).toBe(5);
    expect(await storage.exists('u1/d1/report.pdf')).toBe(true);
  });

  it('when a range is asked for, then only those bytes are streamed', async () => {
    await storage.put('a.txt', Readable.from(['0123456789']));

    expect(await text(await storage.get('a.txt', { start: 2, end: 4 }))).toBe('234');
  });

  it('when the source fails halfway, then nothing is left under the key or beside it', async () => {
    await expect(storage.put('u1/broken.bin', failingStream('partial'))).rejects.toThrow(
      'connection reset',
    );

    expect(await storage.exists('u1/broken.bin')).toBe(false);
    expect(await readdir(path.join(root, 'u1'))).toEqual([]);
  });

  it('when the source fails before the file is even open, then put rejects and nothing is left', async () => {
    const source = new Readable({ read: () => undefined });
    setImmediate(() => source.destroy(new Error('early reset')));

    await expect(storage.put('u1/early.bin', source)).rejects.toThrow('early reset');

    expect(await storage.exists('u1/early.bin')).toBe(false);
  });

  it('when a key is put twice, then the second write replaces the first whole', async () => {
    await storage.put('k.txt', Readable.from(['first version']));
    await storage.put('k.txt', Readable.from(['second']));

    expect(await readFile(path.join(root, 'k.txt'), 'utf8')).toBe('second');
  });

  it('when an object is moved, then it exists only under the new key', async () => {
    await storage.put('tmp/upload', Readable.from(['x']));

    await storage.move('tmp/upload', 'u1/d1/final.txt');

    expect(await storage.exists('tmp/upload')).toBe(false);
    expect(await text(await storage.get('u1/d1/final.txt'))).toBe('x');
  });

  it('when an object is deleted, then it is gone and deleting again is harmless', async () => {
    await storage.put('u1/d1/x.txt', Readable.from(['x']));

    await storage.delete('u1/d1/x.txt');
    await storage.delete('u1/d1/x.txt');

    expect(await storage.exists('u1/d1/x.txt')).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });

  it('when an absent key is read, then it rejects with STORAGE_NOT_FOUND', async () => {
    const error: unknown = await storage.get('missing').catch((caught: unknown) => caught);

    expect(isStorageNotFound(error)).toBe(true);
    expect(await storage.stat('missing')).toBeUndefined();
  });

  it.each(['../escape', '/etc/passwd', 'a/../../b', 'a//b', 'a\\b', '', 'C:/x', './a', 'a\u0000b'])(
    'when the key is %j, then it is refused',
    async (key) => {
      expect(() => validateKey(key)).toThrow(StorageError);
      await expect(storage.put(key, Readable.from(['x']))).rejects.toThrow(StorageError);
    },
  );

  it('when the key has non-ASCII letters, then it is accepted', () => {
    expect(validateKey('u/d/Résumé ñ.pdf')).toBe('u/d/Résumé ñ.pdf');
  });
});
