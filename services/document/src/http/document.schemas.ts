import { z } from 'zod';
import { OCR_STATUSES } from '../domain/document.types';
import { metadataObject, storableText } from './storable.schemas';

/** Query of `GET /api/documents`. */
export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  mime_type: z.string().min(1).optional(),
  ocr_status: z.enum(OCR_STATUSES).optional(),
});

/** Body of `PATCH /api/documents/:id`: at least one of title, labels, metadata. */
export const patchBodySchema = z
  .object({
    title: storableText.trim().min(1).max(500).optional(),
    labels: z
      .array(storableText.trim().min(1).max(100))
      .max(50)
      .transform((labels) => [...new Set(labels)])
      .optional(),
    metadata: metadataObject.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of title, labels, metadata');
