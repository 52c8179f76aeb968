import os from 'node:os';
import { z } from 'zod';
import { baseConfig, busConfig, configHelp, envInt, envPort, loadConfig } from '@readur/config';

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
  PROMETHEUS_PORT: envPort(9103),
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

const DESCRIPTIONS: Record<string, string> = {
  DOCUMENT_SERVICE_URL: 'document service (files in, results out)',
  INTERNAL_API_TOKEN: 'shared secret for service-to-service calls (required)',
  OCR_LANGUAGES: 'default tesseract languages, e.g. eng+deu',
  OCR_CONCURRENCY: 'OCR engines in this process',
  OCR_MAX_IMAGE_PIXELS: 'larger images are refused as too_large',
  OCR_TIMEOUT_SECONDS: 'limit for one page',
  OCR_MAX_ATTEMPTS: 'tries of a document or page before ocr.failed',
  OCR_RETRY_DELAY_MS: 'delay before the first retry; doubles each time',
  OCR_PDF_PASSWORDS: 'passwords tried on encrypted PDFs (comma list or JSON array; secret)',
  OCR_LANG_PATH: 'folder of .traineddata files (e.g. /usr/share/tesseract-ocr/5/tessdata)',
  OCR_ENGINE: 'tesseract-js (WebAssembly) or tesseract-cli (the installed binary)',
  OCR_FILE_CACHE_MB: 'bytes of documents kept while their pages are read',
};

/** The `--help` text: every variable with its default. */
export function ocrWorkerConfigHelp(): string {
  return configHelp(ocrWorkerConfigShape, {
    title:
      'readur ocr-worker: text from PDFs, scans, photos and text files\n\n' +
      'Consumes document.created and ocr.requested, extracts text (PDF text layer, OCR with\n' +
      'tesseract.js or the tesseract binary, decoding for text files) and publishes\n' +
      'ocr.completed or ocr.failed. Multi-page scans are split into ocr.page.requested jobs\n' +
      'that every replica takes from a shared queue.',
    entry: 'services/ocr-worker/dist/main.js',
    descriptions: DESCRIPTIONS,
  });
}
