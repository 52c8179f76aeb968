import { z } from 'zod';

/** Event names: string constants, so a rename of a class can never orphan queued messages. */
export const EVENT = {
  documentCreated: 'document.created',
  documentUpdated: 'document.updated',
  documentDeleted: 'document.deleted',
  ocrStarted: 'ocr.started',
  ocrCompleted: 'ocr.completed',
  ocrFailed: 'ocr.failed',
  ocrWorkerStarted: 'ocr.worker.started',
  ocrRequested: 'ocr.requested',
  ocrPageRequested: 'ocr.page.requested',
  ocrPageCompleted: 'ocr.page.completed',
  ocrPageFailed: 'ocr.page.failed',
  sourceSyncStarted: 'source.sync.started',
  sourceSyncCompleted: 'source.sync.completed',
  userCreated: 'user.created',
  userLogin: 'user.login',
} as const;

const id = z.uuid();
const isoTime = z.iso.datetime({ offset: true });

/** Why OCR gave up on a document; a machine code integrators can switch on. */
export const ocrFailureReason = z.enum([
  'encrypted',
  'corrupt',
  'unsupported_format',
  'unsupported_language',
  'too_large',
  'timeout',
  'storage_unavailable',
  'internal',
]);
export type OcrFailureReason = z.infer<typeof ocrFailureReason>;

/** `document.created`: a document and its file are stored; OCR has not started. */
export const documentCreatedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  filename: z.string(),
  file_size: z.number().int().nonnegative(),
  mime_type: z.string(),
  file_hash: z.string().regex(/^[0-9a-f]{64}$/),
  labels: z.array(z.string()),
  ocr_languages: z.string().optional(),
  created_at: isoTime,
});

/** `document.updated`: title, labels or metadata changed; `changes` names the fields. */
export const documentUpdatedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  labels: z.array(z.string()),
  changes: z.array(z.string()),
  updated_at: isoTime,
});

/** `document.deleted`: the rows and stored files are gone. */
export const documentDeletedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  deleted_at: isoTime,
});

/**
 * One OCR run of a document: the id of the `document.created` that caused it, or the `job_id`
 * of an `ocr.requested` (a retry). Events of an older run are recognised and ignored.
 */
const jobId = id;

/** `ocr.started`: a worker took the document; `attempt` counts from 1. */
export const ocrStartedData = z.object({
  document_id: id,
  user_id: id,
  attempt: z.number().int().positive(),
  job_id: jobId.optional(),
  /** Set when the document was split into page jobs: how many pages it has. */
  page_count: z.number().int().positive().optional(),
});

/** The text of one page, carried from the worker to the document service. */
export const ocrPageResult = z.object({
  page: z.number().int().positive(),
  text: z.string(),
  confidence: z.number().min(0).max(100),
  method: z.enum(['text-layer', 'ocr', 'plain-text']),
});
export type OcrPageResult = z.infer<typeof ocrPageResult>;

/**
 * `ocr.completed`: text extracted. `page_results` holds the text for the document service;
 * it is internal and is left out of webhook bodies (see `toWebhookBody`).
 */
export const ocrCompletedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  pages: z.number().int().nonnegative(),
  confidence: z.number().min(0).max(100),
  word_count: z.number().int().nonnegative(),
  processing_time_ms: z.number().int().nonnegative(),
  language: z.string(),
  page_results: z.array(ocrPageResult),
  job_id: jobId.optional(),
});

/** `ocr.failed`: the document stays stored and downloadable; `reason` is a stable code. */
export const ocrFailedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  error: z.string(),
  reason: ocrFailureReason,
  attempts: z.number().int().positive(),
  job_id: jobId.optional(),
});

/**
 * `ocr.requested`: the document service asks for a new OCR run of a stored document
 * (`POST /api/documents/:id/ocr/retry`); the ocr-worker handles it like `document.created`.
 */
export const ocrRequestedData = z.object({
  document_id: id,
  user_id: id,
  title: z.string(),
  filename: z.string(),
  mime_type: z.string(),
  ocr_languages: z.string().optional(),
  job_id: jobId,
  requested_at: isoTime,
});

/** What every page event names: the document, the run and the page (1-based) of how many. */
const pageRef = {
  document_id: id,
  user_id: id,
  job_id: jobId,
  page: z.number().int().positive(),
  page_count: z.number().int().positive(),
};

/**
 * `ocr.page.requested`: one page of a split document needs OCR. Any ocr-worker replica may
 * take it; `languages` are the document's OCR languages (`eng+deu`).
 */
export const ocrPageRequestedData = z.object({
  ...pageRef,
  title: z.string(),
  filename: z.string(),
  mime_type: z.string(),
  languages: z.string(),
});

/**
 * `ocr.page.completed`: the text of one page of a split document (internal: the document
 * service assembles the document once every page has arrived). `archive_page` tells that the
 * worker stored the page's searchable PDF through the document service.
 */
export const ocrPageCompletedData = z.object({
  ...pageRef,
  text: z.string(),
  confidence: z.number().min(0).max(100),
  method: z.enum(['text-layer', 'ocr', 'plain-text']),
  word_count: z.number().int().nonnegative(),
  language: z.string(),
  processing_time_ms: z.number().int().nonnegative(),
  archive_page: z.boolean(),
});

/** `ocr.page.failed`: one page of a split document failed for good; the document fails. */
export const ocrPageFailedData = z.object({
  ...pageRef,
  reason: ocrFailureReason,
  error: z.string(),
  attempts: z.number().int().positive(),
});

/**
 * `ocr.worker.started`: an ocr-worker replica is up and says which OCR languages it can read,
 * so the document service can refuse uploads asking for languages no worker has.
 */
export const ocrWorkerStartedData = z.object({
  worker_id: z.string().min(1),
  default_languages: z.string(),
  available_languages: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)),
  started_at: isoTime,
});

const sourceType = z.enum(['local_folder', 'webdav', 's3']);

/** `source.sync.started`: a sync run of one source began. */
export const sourceSyncStartedData = z.object({
  source_id: id,
  user_id: id,
  source_type: sourceType,
  started_at: isoTime,
});

/** `source.sync.completed`: a sync run ended, with what it saw and did. */
export const sourceSyncCompletedData = z.object({
  source_id: id,
  user_id: id,
  source_type: sourceType,
  files_seen: z.number().int().nonnegative(),
  files_new: z.number().int().nonnegative(),
  files_changed: z.number().int().nonnegative(),
  files_skipped: z.number().int().nonnegative(),
  files_failed: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  duration_ms: z.number().int().nonnegative(),
  /** Files known from earlier syncs that are gone from the source. */
  files_deleted: z.number().int().nonnegative().optional(),
  /** How the run ended: `completed`, or `stopped` / `interrupted` / `failed` part-way. */
  status: z.enum(['completed', 'stopped', 'failed', 'interrupted']).optional(),
});

const role = z.enum(['admin', 'user']);

/** `user.created`: a new account; never carries a password or hash. */
export const userCreatedData = z.object({
  user_id: id,
  username: z.string(),
  email: z.string().nullable(),
  role,
  created_at: isoTime,
});

/** `user.login`: a successful sign-in. */
export const userLoginData = z.object({
  user_id: id,
  username: z.string(),
  method: z.enum(['password', 'oidc', 'api_key']),
  logged_in_at: isoTime,
});

/** Every event's `data` schema, keyed by event name. */
export const eventDataSchemas = {
  [EVENT.documentCreated]: documentCreatedData,
  [EVENT.documentUpdated]: documentUpdatedData,
  [EVENT.documentDeleted]: documentDeletedData,
  [EVENT.ocrStarted]: ocrStartedData,
  [EVENT.ocrCompleted]: ocrCompletedData,
  [EVENT.ocrFailed]: ocrFailedData,
  [EVENT.ocrWorkerStarted]: ocrWorkerStartedData,
  [EVENT.ocrRequested]: ocrRequestedData,
  [EVENT.ocrPageRequested]: ocrPageRequestedData,
  [EVENT.ocrPageCompleted]: ocrPageCompletedData,
  [EVENT.ocrPageFailed]: ocrPageFailedData,
  [EVENT.sourceSyncStarted]: sourceSyncStartedData,
  [EVENT.sourceSyncCompleted]: sourceSyncCompletedData,
  [EVENT.userCreated]: userCreatedData,
  [EVENT.userLogin]: userLoginData,
} as const;

/** Any event name this platform publishes. */
export type EventName = keyof typeof eventDataSchemas;

/** The `data` type of one event. */
export type EventData<E extends EventName> = z.infer<(typeof eventDataSchemas)[E]>;

/** All event names, in a stable order. */
export const EVENT_NAMES = Object.keys(eventDataSchemas) as EventName[];

/**
 * The documented public events: what webhooks and live (WebSocket) clients may receive.
 * Internal ones (`ocr.requested`, `ocr.page.*`, `ocr.worker.started`, ...) stay on the bus.
 */
export const PUBLIC_EVENTS = [
  EVENT.documentCreated,
  EVENT.documentUpdated,
  EVENT.documentDeleted,
  EVENT.ocrCompleted,
  EVENT.ocrFailed,
  EVENT.sourceSyncStarted,
  EVENT.sourceSyncCompleted,
  EVENT.userCreated,
  EVENT.userLogin,
] as const satisfies readonly EventName[];

/** One public event name. */
export type PublicEventName = (typeof PUBLIC_EVENTS)[number];

/** Fields kept out of public webhook bodies, per event. */
export const INTERNAL_FIELDS: Partial<Record<EventName, readonly string[]>> = {
  [EVENT.ocrCompleted]: ['page_results'],
  [EVENT.ocrPageCompleted]: ['text'],
};
