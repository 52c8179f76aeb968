import { z } from 'zod';
import { invalidInput } from '@readur/errors';

/** Parses `value` with `schema` or throws a 400 `VALIDATION_FAILED` naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;

  const fields = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    message: issue.message,
  }));
  const summary = fields.map((entry) => `${entry.field}: ${entry.message}`).join('; ');
  throw invalidInput(`Invalid input: ${summary}`, fields);
}
