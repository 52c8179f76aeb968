import { randomUUID } from 'node:crypto';
import { createEnvelope, type AnyEnvelope } from '@readur/contracts';

const now = () => new Date().toISOString();
const hash = 'a'.repeat(64);

/** One real envelope of each of the nine documented events, about `userId`. */
export function allNineEvents(userId: string): AnyEnvelope[] {
  const documentId = randomUUID();
  const sourceId = randomUUID();
  return [
    createEnvelope('document.created', {
      document_id: documentId,
      user_id: userId,
      title: 'Invoice 42',
      filename: 'invoice-42.pdf',
      file_size: 1234,
      mime_type: 'application/pdf',
      file_hash: hash,
      labels: ['finance'],
      created_at: now(),
    }),
    createEnvelope('document.updated', {
      document_id: documentId,
      user_id: userId,
      title: 'Invoice 42 (paid)',
      labels: ['finance', 'paid'],
      changes: ['title', 'labels'],
      updated_at: now(),
    }),
    createEnvelope('ocr.completed', {
      document_id: documentId,
      user_id: userId,
      title: 'Invoice 42',
      pages: 1,
      confidence: 93.5,
      word_count: 3,
      processing_time_ms: 420,
      language: 'eng',
      page_results: [{ page: 1, text: 'secret page text', confidence: 93.5, method: 'ocr' }],
    }),
    createEnvelope('ocr.failed', {
      document_id: documentId,
      user_id: userId,
      title: 'Invoice 42',
      error: 'file is encrypted',
      reason: 'encrypted',
      attempts: 1,
    }),
    createEnvelope('document.deleted', {
      document_id: documentId,
      user_id: userId,
      title: 'Invoice 42',
      deleted_at: now(),
    }),
    createEnvelope('source.sync.started', {
      source_id: sourceId,
      user_id: userId,
      source_type: 'webdav',
      started_at: now(),
    }),
    createEnvelope('source.sync.completed', {
      source_id: sourceId,
      user_id: userId,
      source_type: 'webdav',
      files_seen: 10,
      files_new: 2,
      files_changed: 1,
      files_skipped: 7,
      files_failed: 0,
      bytes: 2048,
      duration_ms: 1500,
    }),
    createEnvelope('user.created', {
      user_id: userId,
      username: `user_${userId.slice(0, 8)}`,
      email: null,
      role: 'user',
      created_at: now(),
    }),
    createEnvelope('user.login', {
      user_id: userId,
      username: `user_${userId.slice(0, 8)}`,
      method: 'password',
      logged_in_at: now(),
    }),
  ];
}

/** A `document.created` about `userId`, for bursts. */
export function documentCreated(userId: string, index = 0): AnyEnvelope {
  return createEnvelope('document.created', {
    document_id: randomUUID(),
    user_id: userId,
    title: `Document ${index}`,
    filename: `document-${index}.txt`,
    file_size: 100 + index,
    mime_type: 'text/plain',
    file_hash: hash,
    labels: [],
    created_at: now(),
  });
}
