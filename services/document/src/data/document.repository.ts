import type { Knex } from 'knex';
import type { DocumentPage, DocumentRecord, OcrStatus, Paged } from '../domain/document.types';

/** A pool or a transaction: repositories run in whichever the use case hands them. */
export type Db = Knex | Knex.Transaction;

/** The columns of `documents` a `DocumentRecord` is read from (never the text or vector). */
export const COLUMNS = [
  'id',
  'user_id',
  'title',
  'filename',
  'original_filename',
  'storage_key',
  'mime_type',
  'file_size',
  'file_hash',
  'labels',
  'metadata',
  'ocr_status',
  'ocr_confidence',
  'ocr_word_count',
  'page_count',
  'ocr_processing_time_ms',
  'ocr_language',
  'ocr_failure_reason',
  'ocr_error',
  'created_at',
  'updated_at',
];

type Row = Omit<DocumentRecord, 'file_size'> & { file_size: string | number };

/** pg returns bigint as a string; sizes stay far below 2^53. */
export const toRecord = (row: Row): DocumentRecord => ({
  ...row,
  file_size: Number(row.file_size),
});

/** A new document's columns. */
export type NewDocument = Pick<
  DocumentRecord,
  | 'id'
  | 'user_id'
  | 'title'
  | 'filename'
  | 'original_filename'
  | 'storage_key'
  | 'mime_type'
  | 'file_size'
  | 'file_hash'
  | 'labels'
  | 'metadata'
> & { ocr_languages?: string | null };

/** Filters of a listing. */
export interface DocumentFilter {
  userId: string;
  mimeType?: string | undefined;
  ocrStatus?: OcrStatus | undefined;
}

/** The columns a PATCH may change. */
export type DocumentChanges = Partial<Pick<DocumentRecord, 'title' | 'labels' | 'metadata'>>;

/** The OCR result written when `ocr.completed` arrives. */
export interface OcrResult {
  text: string;
  confidence: number;
  pageCount: number;
  wordCount: number;
  processingTimeMs: number;
  language: string;
}

/** Thrown by `insert` when the user already has a document with the same bytes. */
export class DuplicateHashError extends Error {
  constructor() {
    super('duplicate file hash for user');
    this.name = 'DuplicateHashError';
  }
}

const PAGE_BATCH = 500;
const UNIQUE_VIOLATION = '23505';
const USER_HASH_INDEX = 'documents_user_hash_key';

const isUserHashViolation = (error: unknown): boolean => {
  const pgError = error as { code?: string; constraint?: string } | undefined;
  return pgError?.code === UNIQUE_VIOLATION && pgError.constraint === USER_HASH_INDEX;
};

/** All SQL on `documents` and `document_pages`. */
export const documentRepository = {
  async insert(db: Db, document: NewDocument): Promise<DocumentRecord> {
    try {
      const rows = await db('documents')
        .insert({ ...document, metadata: JSON.stringify(document.metadata) })
        .returning<Row[]>(COLUMNS);
      return toRecord(rows[0] as Row);
    } catch (error) {
      if (isUserHashViolation(error)) throw new DuplicateHashError();
      throw error;
    }
  },

  async findForUser(db: Db, id: string, userId: string): Promise<DocumentRecord | undefined> {
    const row = (await db('documents').select(COLUMNS).where({ id, user_id: userId }).first()) as
      Row | undefined;
    return row ? toRecord(row) : undefined;
  },

  async findById(db: Db, id: string, lock = false): Promise<DocumentRecord | undefined> {
    const query = db('documents').select(COLUMNS).where({ id });
    const row = (await (lock ? query.forUpdate() : query).first()) as Row | undefined;
    return row ? toRecord(row) : undefined;
  },

  async findIdByHash(db: Db, userId: string, fileHash: string): Promise<string | undefined> {
    const row = (await db('documents')
      .select('id')
      .where({ user_id: userId, file_hash: fileHash })
      .first()) as { id: string } | undefined;
    return row?.id;
  },

  async list(db: Db, filter: DocumentFilter, limit: number, offset: number) {
    const scoped = () => {
      const query = db('documents').where({ user_id: filter.userId });
      if (filter.mimeType) void query.where({ mime_type: filter.mimeType });
      if (filter.ocrStatus) void query.where({ ocr_status: filter.ocrStatus });
      return query;
    };

    const [rows, counted] = await Promise.all([
      scoped()
        .select(COLUMNS)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .offset(offset),
      scoped().count<{ count: string }[]>({ count: '*' }),
    ]);
    const result: Paged<DocumentRecord> = {
      items: (rows as unknown as Row[]).map(toRecord),
      total: Number(counted[0]?.count ?? 0),
    };
    return result;
  },

  async update(db: Db, id: string, changes: DocumentChanges): Promise<DocumentRecord> {
    const values: Record<string, unknown> = { ...changes, updated_at: db.fn.now() };
    if (changes.metadata) values.metadata = JSON.stringify(changes.metadata);
    const rows = await db('documents').where({ id }).update(values).returning<Row[]>(COLUMNS);
    return toRecord(rows[0] as Row);
  },

  async delete(db: Db, id: string): Promise<void> {
    await db('documents').where({ id }).delete();
  },

  async ocrText(db: Db, id: string): Promise<string | null> {
    const row = (await db('documents').select('ocr_text').where({ id }).first()) as
      { ocr_text: string | null } | undefined;
    return row?.ocr_text ?? null;
  },

  async pages(db: Db, id: string): Promise<DocumentPage[]> {
    const rows = await db<DocumentPage & { document_id: string }>('document_pages')
      .select('page', 'text', 'confidence', 'method')
      .where({ document_id: id })
      .orderBy('page');
    return rows;
  },

  /** Moves `pending` to `processing`; a late `ocr.started` never rewinds a finished status. */
  async markProcessing(db: Db, id: string): Promise<boolean> {
    const changed = await db('documents')
      .where({ id, ocr_status: 'pending' })
      .update({ ocr_status: 'processing', updated_at: db.fn.now() });
    return changed > 0;
  },

  async saveOcrResult(db: Db, id: string, result: OcrResult, pages: DocumentPage[]) {
    await db('document_pages').where({ document_id: id }).delete();
    for (let start = 0; start < pages.length; start += PAGE_BATCH) {
      const batch = pages.slice(start, start + PAGE_BATCH);
      await db('document_pages').insert(batch.map((page) => ({ document_id: id, ...page })));
    }
    await db('documents').where({ id }).update({
      ocr_status: 'completed',
      ocr_text: result.text,
      ocr_confidence: result.confidence,
      page_count: result.pageCount,
      ocr_word_count: result.wordCount,
      ocr_processing_time_ms: result.processingTimeMs,
      ocr_language: result.language,
      ocr_failure_reason: null,
      ocr_error: null,
      ocr_completed_at: db.fn.now(),
      updated_at: db.fn.now(),
    });
  },

  /** Marks OCR failed unless it already completed (a completed result is never discarded). */
  async markFailed(db: Db, id: string, reason: string, error: string): Promise<boolean> {
    const changed = await db('documents')
      .where({ id })
      .whereNot({ ocr_status: 'completed' })
      .update({
        ocr_status: 'failed',
        ocr_failure_reason: reason,
        ocr_error: error,
        updated_at: db.fn.now(),
      });
    return changed > 0;
  },

  /** Documents whose OCR has not finished yet (pending or processing), across all users. */
  async countAwaitingOcr(db: Db): Promise<number> {
    const row = (await db('documents')
      .whereIn('ocr_status', ['pending', 'processing'])
      .count<{ count: string }[]>({ count: '*' })
      .first()) ?? { count: '0' };
    return Number(row.count);
  },
};
