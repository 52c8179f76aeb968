import type { Db } from './document.repository';

/** The current OCR run of a document. */
export interface OcrJobRow {
  document_id: string;
  job_id: string;
  page_count: number | null;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  started_at: Date;
}

/** One finished page of a split document. */
export interface OcrJobPageRow {
  page: number;
  text: string;
  confidence: number;
  method: 'text-layer' | 'ocr' | 'plain-text';
  word_count: number;
  processing_time_ms: number;
}

/** The queue as `GET /api/queue/stats` reports it. */
export interface QueueCounts {
  pending: number;
  processing: number;
  failed: number;
  completedToday: number;
  oldestPendingSeconds: number | null;
  pagesPending: number;
}

/** All SQL on `ocr_jobs`, `ocr_job_pages`, `ocr_archive_pages` and the derived-file keys. */
export const ocrJobRepository = {
  async findForUpdate(db: Db, documentId: string): Promise<OcrJobRow | undefined> {
    return (await db('ocr_jobs').where({ document_id: documentId }).forUpdate().first()) as
      OcrJobRow | undefined;
  },

  /** Starts tracking a run; an existing row (an older run) is replaced and its pages dropped. */
  async replace(
    db: Db,
    documentId: string,
    jobId: string,
    status: OcrJobRow['status'],
    pageCount?: number,
  ): Promise<void> {
    await db('ocr_job_pages').where({ document_id: documentId }).delete();
    await db('ocr_jobs')
      .insert({
        document_id: documentId,
        job_id: jobId,
        status,
        page_count: pageCount ?? null,
        started_at: db.fn.now(),
        finished_at: null,
      })
      .onConflict('document_id')
      .merge();
  },

  async update(
    db: Db,
    documentId: string,
    changes: { status?: OcrJobRow['status']; pageCount?: number },
  ): Promise<void> {
    const values: Record<string, unknown> = {};
    if (changes.status) values.status = changes.status;
    if (changes.pageCount) values.page_count = changes.pageCount;
    if (changes.status === 'completed' || changes.status === 'failed') {
      values.finished_at = db.fn.now();
    }
    await db('ocr_jobs').where({ document_id: documentId }).update(values);
  },

  /** Records a page once; false when the page was already there (a redelivery). */
  async insertPage(
    db: Db,
    documentId: string,
    jobId: string,
    page: OcrJobPageRow & { page: number },
  ): Promise<boolean> {
    const rows = await db('ocr_job_pages')
      .insert({ document_id: documentId, job_id: jobId, ...page })
      .onConflict(['document_id', 'page'])
      .ignore()
      .returning('page');
    return rows.length > 0;
  },

  async countPages(db: Db, documentId: string): Promise<number> {
    const row = (await db('ocr_job_pages')
      .where({ document_id: documentId })
      .count<{ count: string }[]>({ count: '*' })
      .first()) ?? { count: '0' };
    return Number(row.count);
  },

  async pages(db: Db, documentId: string): Promise<OcrJobPageRow[]> {
    return db('ocr_job_pages')
      .select('page', 'text', 'confidence', 'method', 'word_count', 'processing_time_ms')
      .where({ document_id: documentId })
      .orderBy('page') as Promise<OcrJobPageRow[]>;
  },

  async recordArchivePage(
    db: Db,
    documentId: string,
    jobId: string,
    page: number,
    storageKey: string,
  ): Promise<void> {
    await db('ocr_archive_pages')
      .insert({ document_id: documentId, job_id: jobId, page, storage_key: storageKey })
      .onConflict(['document_id', 'job_id', 'page'])
      .merge();
  },

  /** The stored page PDFs of one run, page -> storage key. */
  async archivePages(db: Db, documentId: string, jobId: string): Promise<Map<number, string>> {
    const rows = (await db('ocr_archive_pages')
      .select('page', 'storage_key')
      .where({ document_id: documentId, job_id: jobId })) as {
      page: number;
      storage_key: string;
    }[];
    return new Map(rows.map((row) => [row.page, row.storage_key]));
  },

  async deleteArchivePages(db: Db, documentId: string): Promise<void> {
    await db('ocr_archive_pages').where({ document_id: documentId }).delete();
  },

  async derivedKeys(db: Db, documentId: string) {
    return (await db('documents')
      .select('archive_key', 'thumbnail_key')
      .where({ id: documentId })
      .first()) as { archive_key: string | null; thumbnail_key: string | null } | undefined;
  },

  async setArchiveKey(db: Db, documentId: string, key: string): Promise<void> {
    await db('documents').where({ id: documentId }).update({ archive_key: key });
  },

  /** Sets the thumbnail once; false when the document already has one. */
  async setThumbnailKey(db: Db, documentId: string, key: string): Promise<boolean> {
    const changed = await db('documents')
      .where({ id: documentId })
      .whereNull('thumbnail_key')
      .update({ thumbnail_key: key });
    return changed > 0;
  },

  /** The languages a document asked for at upload or last retry; null for the default. */
  async ocrLanguagesOf(db: Db, documentId: string): Promise<string | null> {
    const row = (await db('documents')
      .select('ocr_languages')
      .where({ id: documentId })
      .first()) as { ocr_languages: string | null } | undefined;
    return row?.ocr_languages ?? null;
  },

  /** Ids of every document waiting for OCR (`pending`), oldest first. */
  async pendingDocumentIds(db: Db): Promise<string[]> {
    const rows = (await db('documents')
      .select('id')
      .where({ ocr_status: 'pending' })
      .orderBy('created_at')) as { id: string }[];
    return rows.map((row) => row.id);
  },

  /** Puts a document back into the queue for another run. */
  async requeue(db: Db, documentId: string, languages: string | null): Promise<void> {
    await db('documents').where({ id: documentId }).update({
      ocr_status: 'pending',
      ocr_languages: languages,
      ocr_failure_reason: null,
      ocr_error: null,
      ocr_queued_at: db.fn.now(),
      updated_at: db.fn.now(),
    });
  },

  /** Queue figures over every document, or one user's when `userId` is given. */
  async queueCounts(db: Db, userId?: string): Promise<QueueCounts> {
    const scope = userId ? db.raw('user_id = ?', [userId]) : db.raw('true');
    const result = await db.raw<{ rows: Record<string, string | null>[] }>(
      `
      SELECT
        count(*) FILTER (WHERE ocr_status = 'pending') AS pending,
        count(*) FILTER (WHERE ocr_status = 'processing') AS processing,
        count(*) FILTER (WHERE ocr_status = 'failed') AS failed,
        count(*) FILTER (WHERE ocr_status = 'completed'
          AND ocr_completed_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
          AS completed_today,
        extract(epoch FROM now() - min(coalesce(ocr_queued_at, created_at))
          FILTER (WHERE ocr_status = 'pending')) AS oldest_pending_seconds,
        (SELECT coalesce(sum(j.page_count - (SELECT count(*) FROM ocr_job_pages p
            WHERE p.document_id = j.document_id)), 0)
          FROM ocr_jobs j JOIN documents d ON d.id = j.document_id
          WHERE j.status = 'processing' AND j.page_count IS NOT NULL AND ?) AS pages_pending
      FROM documents
      WHERE ?
      `,
      [scope, scope],
    );
    const row = result.rows[0] ?? {};
    const oldest = row.oldest_pending_seconds;
    return {
      pending: Number(row.pending ?? 0),
      processing: Number(row.processing ?? 0),
      failed: Number(row.failed ?? 0),
      completedToday: Number(row.completed_today ?? 0),
      oldestPendingSeconds: oldest === null || oldest === undefined ? null : Number(oldest),
      pagesPending: Number(row.pages_pending ?? 0),
    };
  },
};
