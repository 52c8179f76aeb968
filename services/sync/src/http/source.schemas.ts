import { z } from 'zod';
import { SOURCE_TYPES } from '../domain/source.types';

const config = z.record(z.string(), z.unknown());

/** `POST /api/sources`. */
export const createSourceSchema = z.object({
  name: z.string().trim().min(1).max(200),
  source_type: z.enum(SOURCE_TYPES),
  enabled: z.boolean().default(true),
  config,
});

/** `PATCH /api/sources/:id`. */
export const patchSourceSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    enabled: z.boolean().optional(),
    config: config.optional(),
  })
  .strict();

/** `POST /api/sources/test`. */
export const testSourceSchema = z.object({ source_type: z.enum(SOURCE_TYPES), config });
