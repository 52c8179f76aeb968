import type { Knex } from 'knex';
import { MARK_END, MARK_START } from '../domain/search.snippet';
import type { QueryTexts } from './search.candidates';
import { QUERY_OF_DOCUMENT, SEARCH_CONFIGS } from './search.tsquery';

/** `ts_headline` output of a page (or of the title, `page` null), markers included. */
export interface MarkedPage {
  document_id: string;
  page: number | null;
  headline: string;
}

/** A window of a page's folded text around a substring (the CJK fallback). */
export interface PageWindow {
  document_id: string;
  page: number;
  text: string;
}

/** Pages looked at per document: a hit past them still ranks, without a page snippet. */
export const SNIPPET_PAGE_LIMIT = 200;
/** Pages with snippets per document. */
export const SNIPPET_PAGES_PER_DOCUMENT = 2;

/** Every match marked; `fromHeadline` cuts the snippets with context on both sides. */
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;

/** The page text as indexed (folded at write time), without our marker characters. */
const FOLDED_PAGE = `translate(coalesce(p.search_text, left(p.text, 100000)), '${MARK_START}${MARK_END}', '')`;

/**
 * `ts_headline` drops what its parser reads as HTML tags; escaped, `<b>` stays in the snippet
 * (`fromMarked` unescapes it again).
 */
const escaped = (sql: string) =>
  `replace(replace(replace(${sql}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')`;

const json = (value: unknown): string => JSON.stringify(value);
const ID_ARRAY = 'ARRAY(SELECT jsonb_array_elements_text(?::jsonb))::uuid[]';

/** The row `q` of `QUERY_OF_DOCUMENT` from texts already computed (NULL: no lexemes there). */
const CONSTANT_QUERY_ROW = `SELECT ${SEARCH_CONFIGS.map((config) => `?::tsquery AS ${config}`).join(', ')}`;
const constantQueryBindings = (texts: QueryTexts) =>
  SEARCH_CONFIGS.map((config) => texts[config] || null);

/**
 * Headline queries per page of hits, run at once on as many connections: `ts_headline` parses
 * the whole page again (about 0.6 ms for 4 KB), and one backend does the pages one by one.
 * For 20 pages on the 2-core machine: p50 7.2–9.9 ms in two queries, 11.6–14.6 ms in one.
 */
const HEADLINE_QUERIES = 2;

/** Up to two matching pages per document, and each matching title, in one query. */
async function headlineBatch(
  knex: Knex,
  documentIds: string[],
  texts: QueryTexts,
): Promise<MarkedPage[]> {
  const query = constantQueryBindings(texts);
  const result = await knex.raw<{ rows: MarkedPage[] }>(
    `SELECT d.id AS document_id, s.page, s.headline
     FROM documents d CROSS JOIN (${CONSTANT_QUERY_ROW}) AS q
     CROSS JOIN LATERAL (
       SELECT p.page,
              ts_headline(d.search_config, ${escaped(FOLDED_PAGE)}, ${QUERY_OF_DOCUMENT}, ?) AS headline
       FROM document_pages p
       WHERE p.document_id = d.id AND p.page <= ? AND p.search_vector @@ ${QUERY_OF_DOCUMENT}
       ORDER BY p.page
       LIMIT ?
     ) AS s
     WHERE d.id = ANY(${ID_ARRAY})
     UNION ALL
     SELECT d.id, NULL, ts_headline(d.search_config, ${escaped('readur_fold(d.title)')}, ${QUERY_OF_DOCUMENT}, ?)
     FROM documents d CROSS JOIN (${CONSTANT_QUERY_ROW}) AS q
     WHERE d.id = ANY(${ID_ARRAY})
       AND to_tsvector(d.search_config, readur_fold(d.title)) @@ ${QUERY_OF_DOCUMENT}`,
    [
      ...query,
      HEADLINE_OPTIONS,
      SNIPPET_PAGE_LIMIT,
      SNIPPET_PAGES_PER_DOCUMENT,
      json(documentIds),
      HEADLINE_OPTIONS,
      ...query,
      json(documentIds),
    ],
  );
  return result.rows;
}

/** SQL of snippets: headlines of matching pages and titles, and CJK windows. */
export const snippetRepository = {
  /** Up to two matching pages per document, and each matching title, under `texts`. */
  async headlines(knex: Knex, documentIds: string[], texts: QueryTexts): Promise<MarkedPage[]> {
    if (documentIds.length === 0) return [];
    const size = Math.ceil(documentIds.length / HEADLINE_QUERIES);
    const batches: string[][] = [];
    for (let from = 0; from < documentIds.length; from += size) {
      batches.push(documentIds.slice(from, from + size));
    }
    const marked = await Promise.all(batches.map((ids) => headlineBatch(knex, ids, texts)));
    return marked.flat();
  },

  /** Windows of up to two pages per document that contain every one of `substrings`. */
  async substringWindows(
    knex: Knex,
    documentIds: string[],
    substrings: string[],
  ): Promise<PageWindow[]> {
    if (documentIds.length === 0 || substrings.length === 0) return [];
    const first = substrings[0] ?? '';
    const result = await knex.raw<{ rows: PageWindow[] }>(
      `SELECT ids.id AS document_id, s.page, s.text
       FROM unnest(${ID_ARRAY}) AS ids(id)
       CROSS JOIN LATERAL (
         SELECT p.page,
                substr(f.text, greatest(strpos(f.text, ?) - 80, 1), 240 + char_length(?)) AS text
         FROM document_pages p
         CROSS JOIN LATERAL (SELECT coalesce(p.search_text, p.text) AS text) AS f
         WHERE p.document_id = ids.id AND p.page <= ? AND strpos(f.text, ?) > 0
         ORDER BY p.page
         LIMIT ?
       ) AS s`,
      [json(documentIds), first, first, SNIPPET_PAGE_LIMIT, first, SNIPPET_PAGES_PER_DOCUMENT],
    );
    return result.rows;
  },
};
