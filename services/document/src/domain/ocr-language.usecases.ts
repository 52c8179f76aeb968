import type { EventData } from '@readur/contracts';
import { AppError } from '@readur/errors';
import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import { documentRepository, type Db } from '../data/document.repository';
import { ocrJobRepository } from '../data/ocr-job.repository';
import { ocrLanguageRepository } from '../data/ocr-language.repository';
import { requestOcrRun } from './ocr-run.usecases';
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

/**
 * `ocr.worker.started`: remembers the languages a worker can read. The first announcement a
 * database ever gets also requeues every `pending` document: on a new RabbitMQ the workers'
 * durable queues exist only once a worker first subscribed, so the requests of documents
 * uploaded before that had no queue to land in. (A worker subscribes before it announces; a
 * document uploaded between the two is in the queue already and is read twice, the first run's
 * result then ignored.)
 */
export async function applyOcrWorkerStarted(
  trx: Knex.Transaction,
  data: EventData<'ocr.worker.started'>,
  logger: Logger,
): Promise<OcrApplyResult> {
  await ocrLanguageRepository.lockAnnouncements(trx);
  const firstWorker =
    data.available_languages.length > 0 && (await ocrLanguageRepository.list(trx)).length === 0;
  await ocrLanguageRepository.recordAnnouncement(
    trx,
    data.available_languages,
    data.default_languages.split('+'),
  );
  if (firstWorker) await requeueWaitingDocuments(trx, logger);
  return { applied: true };
}

async function requeueWaitingDocuments(trx: Knex.Transaction, logger: Logger): Promise<void> {
  const ids = await ocrJobRepository.pendingDocumentIds(trx);
  for (const id of ids) {
    const document = await documentRepository.findById(trx, id, true);
    if (!document) continue;
    const languages = await ocrJobRepository.ocrLanguagesOf(trx, id);
    await requestOcrRun(trx, document, languages);
  }
  if (ids.length > 0) {
    logger.info('OCR requested again for documents uploaded before the first worker', {
      documents: ids.length,
    });
  }
}
