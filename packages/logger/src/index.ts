import { AsyncLocalStorage } from 'node:async_hooks';
import winston from 'winston';

/** Ids that travel with one unit of work: an HTTP request or a consumed message. */
export interface LogContext {
  correlation_id?: string;
  request_id?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with ids that every log line written inside it carries. */
export function runWithContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

/** The ids of the unit of work in progress, if any. */
export function currentContext(): LogContext {
  return storage.getStore() ?? {};
}

/** The correlation id of the unit of work in progress, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlation_id;
}

const addContext = winston.format((info) => Object.assign(info, currentContext()));

/** The logger type every service uses. */
export type Logger = winston.Logger;

/**
 * A JSON-lines logger on stdout with `service`, `level`, `correlation_id` and `request_id`
 * as fields. `LOG_LEVEL` sets the level (default `info`; `silent` writes nothing).
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    defaultMeta: { service },
    format: winston.format.combine(
      addContext(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
