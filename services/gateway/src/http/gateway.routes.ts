import type { NextFunction, Request, Response } from 'express';
import { resolveRoute } from '../domain/route.table';

/**
 * Looks the request up in the routing table and leaves the route in `res.locals.route`;
 * paths no service owns fall through to the 404 handler.
 */
export function routeRequest(req: Request, res: Response, next: NextFunction): void {
  const route = resolveRoute(req.method, req.path);
  if (!route) {
    next();
    return;
  }
  res.locals.route = route;
  next();
}

/** Runs `handler` only for requests `routeRequest` matched. */
export function whenRouted(
  handler: (req: Request, res: Response, next: NextFunction) => unknown,
): (req: Request, res: Response, next: NextFunction) => unknown {
  return (req, res, next) => (res.locals.route ? handler(req, res, next) : next());
}
