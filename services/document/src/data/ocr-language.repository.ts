import type { Knex } from 'knex';
import type { Db } from './document.repository';

/** One OCR language an ocr-worker announced. */
export interface OcrLanguageRow {
  code: string;
  is_default: boolean;
}

/** All SQL on `ocr_languages`. */
export const ocrLanguageRepository = {
  /** Adds the announced languages; the latest announcement decides which are the default. */
  async recordAnnouncement(db: Db, available: string[], defaults: string[]): Promise<void> {
    if (available.length === 0) return;

    await db('ocr_languages')
      .insert(available.map((code) => ({ code, is_default: defaults.includes(code) })))
      .onConflict('code')
      .merge({ announced_at: db.fn.now() });
    await db('ocr_languages').update({ is_default: db.raw('code = ANY(?)', [defaults]) });
  },

  /** Serialises announcements until the transaction ends, so one of them sees the table empty. */
  async lockAnnouncements(trx: Knex.Transaction): Promise<void> {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('readur.ocr_languages'))");
  },

  async list(db: Db): Promise<OcrLanguageRow[]> {
    return db<OcrLanguageRow>('ocr_languages').select('code', 'is_default').orderBy('code');
  },
};
