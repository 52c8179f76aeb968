import { randomUUID } from 'node:crypto';
import { createEnvelope, type OcrPageResult } from '@readur/contracts';
import { waitFor } from '@readur/testkit';
import {
  call,
  uploadDocument,
  type DocumentJson,
  type Harness,
  type TestUser,
} from './support/document.harness';
import { textBytes } from './support/file.factory';

/** One snippet of a hit as the API returns it. */
export interface SnippetJson {
  text: string;
  page: number | null;
  highlights: { start: number; end: number }[];
}

/** One hit of `GET /api/search`. */
export type HitJson = DocumentJson & { rank: number; snippets: SnippetJson[]; snippet: string };

/** The body of `GET /api/search`. */
export interface SearchJson {
  documents: HitJson[];
  total: number;
  limit: number;
  offset: number;
  query_time_ms: number;
}

/** What a test document is made of. */
export interface IndexedSpec {
  filename?: string;
  title?: string;
  labels?: string[];
  metadata?: Record<string, unknown>;
  bytes?: Buffer;
  /** Text per page, as the ocr-worker would send it. */
  pages: string[];
  /** The OCR language of `ocr.completed`. */
  language?: string;
}

const pageResult = (text: string, index: number): OcrPageResult => ({
  page: index + 1,
  text,
  confidence: 95,
  method: 'text-layer',
});

/**
 * Uploads a document and feeds its text through a real `ocr.completed` on the broker, as the
 * ocr-worker does; resolves once the document service stored it.
 */
export async function indexDocument(
  harness: Harness,
  user: TestUser,
  spec: IndexedSpec,
): Promise<DocumentJson> {
  const fields: Record<string, string> = {};
  if (spec.title) fields.title = spec.title;
  if (spec.labels) fields.labels = JSON.stringify(spec.labels);
  if (spec.metadata) fields.metadata = JSON.stringify(spec.metadata);
  const document = await uploadDocument(harness, user, {
    bytes: spec.bytes ?? textBytes(),
    filename: spec.filename ?? `scan-${randomUUID().slice(0, 8)}.txt`,
    fields,
  });

  const pages = spec.pages.map(pageResult);
  await harness.broker.publish(
    createEnvelope('ocr.completed', {
      document_id: document.id,
      user_id: user.id,
      title: document.title,
      pages: pages.length,
      confidence: 95,
      word_count: spec.pages.join(' ').split(/\s+/u).length,
      processing_time_ms: 10,
      language: spec.language ?? 'eng',
      page_results: pages,
    }),
  );
  await waitFor(
    async () => {
      const response = await call(harness, user, 'GET', `/api/documents/${document.id}`);
      return ((await response.json()) as DocumentJson).ocr_status === 'completed';
    },
    { description: `OCR of ${document.id} stored` },
  );
  return document;
}

/** `GET /api/search?<query>`, failing the test on anything but 200. */
export async function search(
  harness: Harness,
  user: TestUser,
  params: Record<string, string | string[]>,
): Promise<SearchJson> {
  const response = await searchResponse(harness, user, params);
  if (response.status !== 200) {
    throw new Error(`search answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as SearchJson;
}

/** `GET /api/search?<query>` as a raw response. */
export function searchResponse(
  harness: Harness,
  user: TestUser,
  params: Record<string, string | string[]>,
  path = '/api/search',
): Promise<Response> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const entry of Array.isArray(value) ? value : [value]) query.append(name, entry);
  }
  return call(harness, user, 'GET', `${path}?${query.toString()}`);
}

/** Ids of the hits of a search for `q` (web mode unless `extra` says otherwise). */
export async function idsFor(
  harness: Harness,
  user: TestUser,
  q: string,
  extra: Record<string, string | string[]> = {},
): Promise<string[]> {
  const result = await search(harness, user, { q, ...extra });
  return result.documents.map((hit) => hit.id);
}

/** The highlighted parts of a snippet, cut out by code point as the offsets promise. */
export function highlighted(snippet: SnippetJson): string[] {
  const characters = Array.from(snippet.text);
  return snippet.highlights.map(({ start, end }) => characters.slice(start, end).join(''));
}
