import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@readur/errors';

/** 400 naming the parameters whose percent-encoded bytes are not UTF-8. */
export const invalidUtf8 = (parameters: string[]) =>
  new AppError(
    'INVALID_UTF8',
    `The query string is not valid UTF-8 (parameter ${parameters.join(', ')}): ` +
      'percent-encode text as UTF-8 bytes',
    400,
    { details: parameters.map((field) => ({ field })) },
  );

const HEX_PAIR = /^[0-9a-f]{2}$/i;

/**
 * The bytes one `name=value` pair of a query string stands for: `%XX` decoded, everything else
 * as sent. A `%` without two hex digits stays itself, as the query parser leaves it. (Node's
 * `querystring.unescapeBuffer` does the same but is not part of its documented, typed API.)
 */
function bytesOf(pair: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < pair.length; index += 1) {
    const escape = pair.slice(index + 1, index + 3);
    if (pair[index] === '%' && HEX_PAIR.test(escape)) {
      bytes.push(Number.parseInt(escape, 16));
      index += 2;
    } else {
      bytes.push(pair.charCodeAt(index));
    }
  }
  return Buffer.from(bytes);
}

/** The name of a pair, for the message: its valid UTF-8 as such, the rest replaced. */
const nameOf = (pair: string): string =>
  bytesOf(pair.split('=')[0] ?? '')
    .toString('utf8')
    .replaceAll('+', ' ');

/**
 * Rejects a query string holding bytes that are not UTF-8 (`%FF`, a cut `%C3`). Express's
 * parser would turn them into U+FFFD and the search would silently look for something the
 * user never typed.
 */
export function requireUtf8Query(req: Request, _res: Response, next: NextFunction): void {
  const start = req.originalUrl.indexOf('?');
  if (start < 0) return next();

  const invalid = req.originalUrl
    .slice(start + 1)
    .split('&')
    .filter((pair) => !isUtf8(bytesOf(pair)))
    .map(nameOf);
  if (invalid.length > 0) return next(invalidUtf8([...new Set(invalid)]));
  next();
}
