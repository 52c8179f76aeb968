import { z } from 'zod';

/** Deeper metadata than this is refused: nobody needs it, and it only costs the server. */
const MAX_METADATA_DEPTH = 16;

const NUL = '\u0000';

/** Why a JSON value cannot be stored in a jsonb column, or undefined when it can. */
function jsonProblem(root: unknown): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string' && value.includes(NUL)) return 'must not contain NUL characters';
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_METADATA_DEPTH) return `must not nest deeper than ${MAX_METADATA_DEPTH} levels`;

    for (const [key, child] of Object.entries(value)) {
      if (key.includes(NUL)) return 'must not contain NUL characters';
      pending.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Text PostgreSQL can store: it has no room for U+0000 in `text` columns. */
export const storableText = z.string().refine((text) => !text.includes(NUL), {
  message: 'must not contain NUL characters',
});

/** A metadata object PostgreSQL's jsonb can store, of bounded depth. */
export const metadataObject = z.record(z.string(), z.unknown()).superRefine((value, context) => {
  const problem = jsonProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});
