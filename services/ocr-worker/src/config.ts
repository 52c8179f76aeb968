import os from 'node:os';
import { z } from 'zod';
import { baseConfig, busConfig, envInt, envPort, loadConfig } from '@readur/config';

/** Every variable the ocr-worker reads. */
export const ocrWorkerConfigShape = {
  ...baseConfig,
  ...busConfig,
  PORT: envPort(8083),
  DOCUMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8082'),
  INTERNAL_API_TOKEN: z.string().min(16),
  OCR_LANGUAGES: z
    .string()
    .regex(/^[a-z_]{3,}(\+[a-z_]{3,})*$/, 'languages like eng or eng+deu')
    .default('eng'),
  OCR_CONCURRENCY: envInt(Math.max(1, os.availableParallelism()), 1),
  OCR_MAX_IMAGE_PIXELS: envInt(178_956_970, 1_000_000),
  OCR_TIMEOUT_SECONDS: envInt(300, 1),
  OCR_MAX_ATTEMPTS: envInt(3, 1),
  OCR_RETRY_DELAY_MS: envInt(5_000, 0),
};

/** The ocr-worker's parsed configuration. */
export type OcrWorkerConfig = z.infer<z.ZodObject<typeof ocrWorkerConfigShape>>;

/** Parses the environment; throws a ConfigError listing every bad variable. */
export function loadOcrWorkerConfig(env: NodeJS.ProcessEnv = process.env): OcrWorkerConfig {
  return loadConfig(ocrWorkerConfigShape, env);
}
