import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '@readur/errors';
import { sendError } from '@readur/http';
import type { Logger } from '@readur/logger';
import { isCredentialRoute } from '../domain/route.table';

const MINUTE_MS = 60_000;

function limiter(
  limit: number,
  logger: Logger,
  only?: (method: string, path: string) => boolean,
): RequestHandler {
  return rateLimit({
    windowMs: MINUTE_MS,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: only ? (req) => !only(req.method, req.path) : undefined,
    handler: (req, res) => {
      sendError(req, res, new AppError('RATE_LIMITED', 'Too many requests', 429), logger);
    },
  });
}

/** Per-client limits: one for everything, a stricter one for sign-in and sign-up. */
export function rateLimits(options: {
  perMinute: number;
  credentialsPerMinute: number;
  logger: Logger;
}): RequestHandler[] {
  return [
    limiter(options.perMinute, options.logger),
    limiter(options.credentialsPerMinute, options.logger, isCredentialRoute),
  ];
}
