import type { Db } from './document.repository';

/** What the storage migration needs of a document: where its bytes are and their checksum. */
export interface StoredDocumentRef {
  id: string;
  user_id: string;
  storage_key: string;
  file_size: number;
  file_hash: string;
}

/** Reads documents for the storage migration in id order, one page at a time. */
export const storageMigrationRepository = {
  async page(db: Db, afterId: string | undefined, limit: number): Promise<StoredDocumentRef[]> {
    const query = db('documents')
      .select('id', 'user_id', 'storage_key', 'file_size', 'file_hash')
      .orderBy('id')
      .limit(limit);
    if (afterId) void query.where('id', '>', afterId);
    const rows = (await query) as Array<
      Omit<StoredDocumentRef, 'file_size'> & { file_size: string }
    >;
    return rows.map((row) => ({ ...row, file_size: Number(row.file_size) }));
  },

  async count(db: Db): Promise<number> {
    const row = (await db('documents').count<{ count: string }[]>({ count: '*' }).first()) ?? {
      count: '0',
    };
    return Number(row.count);
  },
};
