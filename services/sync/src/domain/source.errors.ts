import { AppError, notFound } from '@readur/errors';

/** 404 for a missing source, another user's source or a malformed id alike. */
export const sourceNotFound = () => notFound('source');

/** 409 when a sync is asked for while one runs. */
export const syncAlreadyRunning = () =>
  new AppError('SYNC_ALREADY_RUNNING', 'A sync of this source is already running', 409);

/** 409 when a stop is asked for while no sync runs. */
export const syncNotRunning = () =>
  new AppError('SYNC_NOT_RUNNING', 'No sync of this source is running', 409);

/** 400 when the config does not fit the source type. */
export const invalidSourceConfig = (details: unknown) =>
  new AppError('INVALID_SOURCE_CONFIG', 'The source configuration is invalid', 400, { details });

/** 422 when a configuration was checked and the source could not be reached. */
export const sourceUnreachable = (reason: string) =>
  new AppError('SOURCE_UNREACHABLE', `The source could not be reached: ${reason}`, 422, {
    details: { reason },
  });

/** 400 when a sync is asked for on a disabled source. */
export const sourceDisabled = () => new AppError('SOURCE_DISABLED', 'The source is disabled', 400);

/** 403 when a user names a local folder outside `SYNC_LOCAL_ROOTS`. */
export const localPathNotAllowed = (paths: string[]) =>
  new AppError('LOCAL_PATH_NOT_ALLOWED', 'These folders are outside the allowed roots', 403, {
    details: { paths },
  });
