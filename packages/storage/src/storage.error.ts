/** Machine codes of the errors this package throws. */
export type StorageErrorCode = 'STORAGE_INVALID_KEY' | 'STORAGE_NOT_FOUND' | 'STORAGE_UNAVAILABLE';

/** An error of a storage backend, with a stable machine code and the original error as cause. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** True when `error` says the object does not exist. */
export const isStorageNotFound = (error: unknown): boolean =>
  error instanceof StorageError && error.code === 'STORAGE_NOT_FOUND';
