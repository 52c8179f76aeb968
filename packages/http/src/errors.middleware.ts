import type { Express, NextFunction, Request, Response } from 'express';
import { AppError, isAppError } from '@readur/errors';
import type { Logger } from '@readur/logger';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: string;
  code: string;
  request_id: string;
  details?: unknown;
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** Client errors raised by Express itself, e.g. a path with malformed percent-encoding. */
function frameworkClientError(error: BodyParserError): AppError | undefined {
  const status = error.status ?? error.statusCode;
  if (status === undefined || status < 400 || status > 499) return undefined;
  return status === 400
    ? new AppError(
        'BAD_REQUEST',
        'The request is malformed (for example a badly encoded path)',
        400,
      )
    : new AppError('BAD_REQUEST', 'The request cannot be served as sent', status);
}

function toAppError(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;

  const parserError = error as BodyParserError;
  if (parserError?.type === 'entity.too.large') {
    return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large', 413);
  }
  if (parserError?.type === 'entity.parse.failed') {
    return new AppError('INVALID_JSON', 'Request body is not valid JSON', 400);
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_ENCODING', 'Request body encoding is not supported', 415);
  }
  return parserError ? frameworkClientError(parserError) : undefined;
}

/** Sends an error as `{ error, code, request_id }`; unknown errors become a bare 500. */
export function sendError(req: Request, res: Response, error: unknown, logger: Logger): void {
  const known = toAppError(error);
  if (!known) {
    logger.error('unhandled error', { error, method: req.method, path: req.path });
  } else if (known.status >= 500) {
    logger.error(known.message, { code: known.code, cause: known.cause });
  }

  if (res.headersSent) {
    res.destroy();
    return;
  }

  const body: ErrorBody = known
    ? { error: known.message, code: known.code, request_id: req.id }
    : { error: 'Internal server error', code: 'INTERNAL_ERROR', request_id: req.id };
  if (known?.details !== undefined) body.details = known.details;
  res.status(known?.status ?? 500).json(body);
}

/** Adds the 404 handler and the error handler; call after every route is mounted. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use((req: Request, res: Response) => {
    sendError(
      req,
      res,
      new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`, 404),
      logger,
    );
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(req, res, error, logger);
  });
  return app;
}
