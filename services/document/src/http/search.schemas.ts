import { z } from 'zod';
import { OCR_STATUSES } from '../domain/document.types';
import { SEARCH_MODES } from '../domain/search.query';

/** One value, a repeated parameter or a comma-separated list: always a list of non-empty items. */
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((entry) => entry.split(','))
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).max(50))
    .optional();

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

const instant = z
  .string()
  .refine((value) => DATE_ONLY.test(value) || !Number.isNaN(Date.parse(value)), {
    message: 'expected a date (2024-03-15) or an ISO 8601 date-time',
  })
  .refine((value) => !Number.isNaN(Date.parse(value)), { message: 'not a valid date' });

const size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The filters shared by search and facets. */
const filterShape = {
  mime_type: list(z.string().min(1).max(255)),
  labels: list(z.string().min(1).max(100)),
  created_from: instant.optional(),
  created_to: instant.optional(),
  min_size: size.optional(),
  max_size: size.optional(),
  ocr_status: list(z.enum(OCR_STATUSES)),
  source: list(z.union([z.literal('upload'), z.uuid()])),
  scope: z.enum(['own', 'all']).default('own'),
  mode: z.enum(SEARCH_MODES).default('web'),
};

/** Query of `GET /api/search`. */
export const searchQuerySchema = z.object({
  ...filterShape,
  q: z.string().optional(),
  threshold: z.coerce.number().min(0.05).max(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

/** Query of `GET /api/search/facets`: `q` is optional. */
export const facetQuerySchema = z.object({ ...filterShape, q: z.string().optional() });

/** Query of `GET /api/documents/:id/similar`. */
export const similarQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

type FilterQuery = z.infer<typeof facetQuerySchema>;

/** `created_to` of a bare date includes that whole day; a date-time is included as given. */
function exclusiveEnd(value: string): Date {
  const parsed = Date.parse(value);
  return new Date(DATE_ONLY.test(value) ? parsed + DAY_MS : parsed + 1);
}

/** The repository's filters from parsed query parameters. */
export function filtersOf(query: FilterQuery) {
  return {
    mimeTypes: query.mime_type,
    labels: query.labels,
    createdFrom: query.created_from ? new Date(query.created_from) : undefined,
    createdBefore: query.created_to ? exclusiveEnd(query.created_to) : undefined,
    minSize: query.min_size,
    maxSize: query.max_size,
    ocrStatuses: query.ocr_status,
    sources: query.source,
  };
}
