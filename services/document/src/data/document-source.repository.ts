import type { Db } from './document.repository';
import { COLUMNS, toRecord } from './document.repository';
import type { DocumentRecord } from '../domain/document.types';

type Row = Omit<DocumentRecord, 'file_size'> & { file_size: string | number };

/** The new bytes of a document whose file changed at its source. */
export interface ContentVersion {
  storage_key: string;
  file_size: number;
  file_hash: string;
  mime_type: string;
}

/** SQL for documents fed by the sync service: their source link and content versions. */
export const documentSourceRepository = {
  async link(db: Db, id: string, sourceId: string, sourcePath: string): Promise<void> {
    await db('documents').where({ id }).update({ source_id: sourceId, source_path: sourcePath });
  },

  /** Points the row at new bytes; OCR starts over for them. */
  async replaceContent(db: Db, id: string, version: ContentVersion): Promise<DocumentRecord> {
    const rows = await db('documents')
      .where({ id })
      .update({ ...version, ocr_status: 'pending', updated_at: db.fn.now() })
      .returning<Row[]>(COLUMNS);
    return toRecord(rows[0] as Row);
  },
};
