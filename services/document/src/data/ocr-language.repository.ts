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

  async list(db: Db): Promise<OcrLanguageRow[]> {
    return db<OcrLanguageRow>('ocr_languages').select('code', 'is_default').orderBy('code');
  },
};
