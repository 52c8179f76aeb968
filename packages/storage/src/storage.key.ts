import { StorageError } from './storage.error';

const MAX_KEY_LENGTH = 1024;
const SEGMENT = /^[\w.\- ()+@=,~\p{L}\p{N}]+$/u;

/**
 * Checks that `key` is a relative, `/`-separated name that stays inside the storage root:
 * no absolute paths, no `.` or `..` segments, no backslashes or control characters.
 * Returns the key unchanged, or throws `STORAGE_INVALID_KEY`.
 */
export function validateKey(key: string): string {
  const invalid = (why: string) =>
    new StorageError('STORAGE_INVALID_KEY', `invalid storage key (${why}): ${JSON.stringify(key)}`);

  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw invalid('length');
  if (key.startsWith('/') || /^[a-zA-Z]:/.test(key)) throw invalid('absolute');

  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw invalid('segment');
    if (!SEGMENT.test(segment)) throw invalid('character');
  }
  return key;
}
