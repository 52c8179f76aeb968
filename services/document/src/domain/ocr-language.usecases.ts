import type { EventData } from '@readur/contracts';
import { AppError } from '@readur/errors';
import type { Db } from '../data/document.repository';
import { ocrLanguageRepository } from '../data/ocr-language.repository';
import type { OcrApplyResult } from './ocr.usecases';

/** The OCR languages uploads may ask for, and the workers' default. */
export interface OcrLanguages {
  languages: string[];
  default: string;
}

/** What the ocr-workers announced they can read. */
export async function listOcrLanguages(db: Db): Promise<OcrLanguages> {
  const rows = await ocrLanguageRepository.list(db);
  return {
    languages: rows.map((row) => row.code),
    default: rows
      .filter((row) => row.is_default)
      .map((row) => row.code)
      .join('+'),
  };
}

/**
 * Normalises an upload's `ocr_languages` (`eng+deu`) or refuses it with 400
 * `UNSUPPORTED_OCR_LANGUAGE`, listing the languages the workers can read.
 */
export async function checkOcrLanguages(db: Db, requested: string): Promise<string> {
  const codes = requested.split('+').map((code) => code.trim());
  const { languages } = await listOcrLanguages(db);
  const unknown = codes.filter((code) => !languages.includes(code));
  if (unknown.length === 0) return codes.join('+');

  throw new AppError(
    'UNSUPPORTED_OCR_LANGUAGE',
    `No OCR worker can read '${unknown.join("', '")}'`,
    400,
    { details: { unsupported: unknown, available: languages } },
  );
}

/** `ocr.worker.started`: remembers the languages a worker can read. */
export async function applyOcrWorkerStarted(
  db: Db,
  data: EventData<'ocr.worker.started'>,
): Promise<OcrApplyResult> {
  await ocrLanguageRepository.recordAnnouncement(
    db,
    data.available_languages,
    data.default_languages.split('+'),
  );
  return { applied: true };
}
