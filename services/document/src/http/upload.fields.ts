import { z } from 'zod';
import { metadataObject, storableText } from './storable.schemas';

const MAX_LABELS = 50;

/** `labels` as a JSON array or a comma-separated list; blanks and repeats dropped. */
const labelsField = z
  .string()
  .optional()
  .transform((raw, context) => {
    const text = raw?.trim() ?? '';
    if (!text) return [];

    let values: unknown = text.split(',');
    if (text.startsWith('[')) {
      try {
        values = JSON.parse(text);
      } catch {
        context.addIssue({ code: 'custom', message: 'not a valid JSON array' });
        return z.NEVER;
      }
    }
    const parsed = z.array(z.string()).safeParse(values);
    if (!parsed.success) {
      context.addIssue({ code: 'custom', message: 'must be an array of strings' });
      return z.NEVER;
    }
    return [...new Set(parsed.data.map((label) => label.trim()).filter(Boolean))];
  })
  .pipe(z.array(storableText.max(100)).max(MAX_LABELS));

/** `metadata` as a JSON object. */
const metadataField = z
  .string()
  .optional()
  .transform((raw, context) => {
    if (!raw?.trim()) return {};
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(metadataObject);

/** The optional text fields of an upload. */
export const uploadFieldsSchema = z.object({
  title: storableText
    .trim()
    .max(500)
    .optional()
    .transform((title) => title || undefined),
  labels: labelsField,
  metadata: metadataField,
  /** OCR languages for this document only, e.g. `eng+deu`; checked against the workers'. */
  ocr_languages: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$/, 'language codes like eng or eng+deu')
    .optional()
    .or(z.literal('').transform(() => undefined)),
});
