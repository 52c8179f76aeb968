import type { OcrFailureReason } from '@readur/contracts';
import type { RetryPolicy } from '@readur/bus';

import { isExtractionError } from '../domain';

/** Failures worth another attempt: the input may be fine, the moment was not. */
const RETRYABLE_REASONS = new Set<OcrFailureReason>(['timeout']);

/** Why a job failed, as a stable reason, and whether another attempt may succeed. */
export interface Failure {
  reason: OcrFailureReason;
  message: string;
  retry: boolean;
}

/** Classifies an error thrown while extracting: expected input faults, outages, bugs. */
export function classifyFailure(error: unknown): Failure {
  if (isExtractionError(error)) {
    return {
      reason: error.reason,
      message: error.message,
      retry: RETRYABLE_REASONS.has(error.reason),
    };
  }
  const code = (error as { code?: string }).code;
  if (code === 'STORAGE_UNAVAILABLE') {
    return { reason: 'storage_unavailable', message: (error as Error).message, retry: true };
  }
  return { reason: 'internal', message: 'unexpected error while extracting text', retry: true };
}

/**
 * The retry policy of OCR jobs (documents and pages): `maxAttempts` in all, the delay
 * doubling from `baseDelayMs` (5 s, 10 s, 20 s, ...).
 */
export function ocrRetryPolicy(maxAttempts: number, baseDelayMs: number): RetryPolicy {
  const steps = Math.max(1, maxAttempts - 1);
  return { maxAttempts, backoffMs: Array.from({ length: steps }, (_, n) => baseDelayMs * 2 ** n) };
}
