import os from 'node:os';
import { z } from 'zod';
import { baseConfig, busConfig, envInt, envPort, loadConfig } from '@readur/config';

/**
 * `OCR_PDF_PASSWORDS`: a comma-separated list, or a JSON array of strings when a password
 * itself holds a comma. Empty means none.
 */
const passwordList = z
  .string()
  .default('')
  .transform((raw, context) => {
    const text = raw.trim();
    if (!text) return [];
    if (!text.startsWith('[')) return text.split(',').filter((password) => password.length > 0);

    const parsed = z.array(z.string()).safeParse(safeJson(text));
    if (!parsed.success) {
      context.addIssue({ code: 'custom', message: 'must be a comma list or a JSON string array' });
      return z.NEVER;
    }
    return parsed.data;
  });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

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
  OCR_PDF_PASSWORDS: passwordList,
  OCR_LANG_PATH: z.string().min(1).optional(),
  OCR_ENGINE: z.enum(['tesseract-js', 'tesseract-cli']).default('tesseract-js'),
  OCR_FILE_CACHE_MB: envInt(256, 0),
};

/** The ocr-worker's parsed configuration. */
export type OcrWorkerConfig = z.infer<z.ZodObject<typeof ocrWorkerConfigShape>>;

/** Parses the environment; throws a ConfigError listing every bad variable. */
export function loadOcrWorkerConfig(env: NodeJS.ProcessEnv = process.env): OcrWorkerConfig {
  return loadConfig(ocrWorkerConfigShape, env);
}
