import type { Knex } from 'knex';
import type { DocumentRecord } from '../domain/document.types';
import { COLUMNS, toRecord } from './document.repository';

/** One search hit: the document, its rank and a highlighted snippet. */
export interface SearchHit {
  document: DocumentRecord;
  rank: number;
  snippet: string;
}

/** What to search for. */
export interface SearchQuery {
  userId: string;
  query: string;
  mimeType?: string | undefined;
  limit: number;
  offset: number;
}

/**
 * Must match the configuration of the generated `search_vector` column. `simple` neither
 * stems nor drops stop words, so it treats every language alike.
 */
const TS_CONFIG = 'simple';

/**
 * Matches are wrapped in `<mark>`…`</mark>`. The source text is HTML-escaped first, so the
 * snippet is safe to render as HTML and `<mark>` is the only markup in it.
 */
const HEADLINE_OPTIONS =
  'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2, ' +
  'FragmentDelimiter=" … "';

const escapedSource = `replace(replace(replace(
  d.title || E'\\n' || left(coalesce(d.ocr_text, ''), 100000),
  '&', '&amp;'), '<', '&lt;'), '>', '&gt;')`;

const DOCUMENT_COLUMNS = COLUMNS.map((column) => `d.${column}`).join(', ');

interface HitRow {
  rank: number;
  snippet: string;
  q: unknown;
  source: string;
  [column: string]: unknown;
}

/** Full-text search over `documents.search_vector`. */
export const searchRepository = {
  async search(knex: Knex, input: SearchQuery): Promise<{ hits: SearchHit[]; total: number }> {
    const mimeFilter = input.mimeType ? 'AND d.mime_type = :mimeType' : '';
    const params = {
      config: TS_CONFIG,
      query: input.query,
      userId: input.userId,
      mimeType: input.mimeType ?? null,
      limit: input.limit,
      offset: input.offset,
      options: HEADLINE_OPTIONS,
    };
    const matches = `
      FROM documents d, websearch_to_tsquery(:config::regconfig, :query) AS q
      WHERE d.user_id = :userId AND d.search_vector @@ q ${mimeFilter}`;

    const [page, counted] = await Promise.all([
      knex.raw<{ rows: HitRow[] }>(
        `SELECT ranked.*,
           ts_headline(:config::regconfig, ranked.source, ranked.q, :options) AS snippet
         FROM (
           SELECT ${DOCUMENT_COLUMNS}, q, ${escapedSource} AS source, ts_rank_cd(d.search_vector, q) AS rank
           ${matches}
           ORDER BY rank DESC, d.created_at DESC, d.id
           LIMIT :limit OFFSET :offset
         ) AS ranked
         ORDER BY ranked.rank DESC, ranked.created_at DESC, ranked.id`,
        params,
      ),
      knex.raw<{ rows: { total: string }[] }>(`SELECT count(*) AS total ${matches}`, params),
    ]);

    const hits = page.rows.map(({ rank, snippet, q: _query, source: _source, ...row }) => ({
      document: toRecord(row as unknown as Parameters<typeof toRecord>[0]),
      rank: Number(rank),
      snippet,
    }));
    return { hits, total: Number(counted.rows[0]?.total ?? 0) };
  },
};
