/**
 * The one error type use cases throw for expected failures: a stable machine `code`
 * (`DOCUMENT_NOT_FOUND`), an HTTP status hint used only at the edge, and an optional cause.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options: { cause?: unknown; details?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.details = options.details;
  }

  readonly details: unknown;
}

/** 404 with a resource-specific code; also used for other users' resources, never 403. */
export const notFound = (resource: string) =>
  new AppError(`${resource.toUpperCase()}_NOT_FOUND`, `${resource} not found`, 404);

/** 400 for input that failed validation. */
export const invalidInput = (message: string, details?: unknown) =>
  new AppError('VALIDATION_FAILED', message, 400, { details });

/** 401 for a missing or bad credential. */
export const unauthorized = (message = 'Authentication required') =>
  new AppError('UNAUTHORIZED', message, 401);

/** 403 for a caller who is known but not allowed. */
export const forbidden = (message = 'Not allowed') => new AppError('FORBIDDEN', message, 403);

/** 409 for a conflict with existing state. */
export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError(code, message, 409, { details });

/** True for errors thrown on purpose, as opposed to bugs. */
export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
