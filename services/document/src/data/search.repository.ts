import type { Knex } from 'knex';
import type { DocumentRecord, OcrStatus } from '../domain/document.types';
import type { QueryNode } from '../domain/search.query';
import { COLUMNS, toRecord } from './document.repository';
import {
  matchedSql,
  queryTexts,
  type QueryTexts,
  RANKING_BOUNDS,
  rankSql,
  type RankingBounds,
  titleHitsSql,
} from './search.candidates';
import { QUERY_OF_ANY_CONFIG, QUERY_OF_DOCUMENT, queryRow, type Fragment } from './search.tsquery';

/** Who searches: one user's documents, or everyone's for an admin with `scope=all`. */
export type SearchScope = { userId: string } | { all: true };

/** Filters that narrow a search or a facet count. */
export interface SearchFilters {
  mimeTypes?: string[] | undefined;
  labels?: string[] | undefined;
  createdFrom?: Date | undefined;
  /** Exclusive upper bound. */
  createdBefore?: Date | undefined;
  minSize?: number | undefined;
  maxSize?: number | undefined;
  ocrStatuses?: OcrStatus[] | undefined;
  sources?: string[] | undefined;
}

/** What matches: a query tree, CJK substrings, and documents found by fuzzy title match. */
export interface SearchMatch {
  tree: QueryNode;
  cjk: string[];
  /** Ids and similarity of documents whose title is close to the query (fuzzy mode). */
  titleMatches?: { id: string; similarity: number }[] | undefined;
}

/** One ranked document. */
export interface RankedDocument {
  document: DocumentRecord;
  rank: number;
}

/** A page of ranked documents, the number of all matches and the query they matched. */
export interface RankedPage {
  hits: RankedDocument[];
  total: number;
  /** The query under each configuration, for the snippets of the same hits. */
  texts: QueryTexts;
}

/** How many documents of each MIME type and label match. */
export interface FacetCounts {
  mime_types: { value: string; count: number }[];
  labels: { value: string; count: number }[];
}

/** SQL quoting `u.lexeme` as a tsquery literal (the SQL twin of `lexemeLiteral`). */
const LEXEME_LITERAL = `('''' || replace(replace(u.lexeme, '\\', '\\\\'), '''', '''''') || '''')`;

const DOCUMENT_COLUMNS = COLUMNS.map((column) => `d.${column}`).join(', ');

/**
 * A text array bound as one JSON value: knex would expand a JS array into a list of bindings.
 */
const TEXT_ARRAY = 'ARRAY(SELECT jsonb_array_elements_text(?::jsonb))';
const json = (value: unknown): string => JSON.stringify(value);

type Row = Parameters<typeof toRecord>[0] & { rank: number; total: string };

/**
 * `WHERE` conditions for scope and filters, with their bindings. Only the user is a condition
 * an index may answer: the filters are checked on the rows the text indexes found, behind
 * `IS TRUE`, which no index matches. Otherwise, for a word in most documents, the planner reads
 * a user's rows through the date (or label, source, status) index and checks each row's
 * vector, reading (detoasting) thousands of them, because it charges the text index's row
 * check as if it ran, though an exact GIN bitmap needs none: a word in every document from a
 * date on (60 % of the user's documents) took 28–163 ms for one branch through the date index,
 * 13–18 ms through the text index. The price: a narrow filter no longer narrows the reading
 * (the same word within one day: 0.1 ms through the date index, 8–13 ms now), so a filter
 * never makes a search slower than the search without it, but seldom faster either.
 */
function filterSql(scope: SearchScope, filters: SearchFilters): Fragment {
  const conditions: string[] = [];
  const bindings: Knex.Value[] = [];
  const add = (sql: string, value: Knex.Value) => {
    conditions.push(sql);
    bindings.push(value);
  };

  if (filters.mimeTypes?.length) add(`d.mime_type = ANY(${TEXT_ARRAY})`, json(filters.mimeTypes));
  if (filters.labels?.length) add(`d.labels @> ${TEXT_ARRAY}`, json(filters.labels));
  if (filters.createdFrom) add('d.created_at >= ?', filters.createdFrom);
  if (filters.createdBefore) add('d.created_at < ?', filters.createdBefore);
  if (filters.minSize !== undefined) add('d.file_size >= ?', filters.minSize);
  if (filters.maxSize !== undefined) add('d.file_size <= ?', filters.maxSize);
  if (filters.ocrStatuses?.length)
    add(`d.ocr_status = ANY(${TEXT_ARRAY})`, json(filters.ocrStatuses));
  if (filters.sources?.length) {
    // `upload` means not synced (migration 030: `source_id` is null for uploads).
    const ids = filters.sources.filter((source) => source !== 'upload');
    const uploads = filters.sources.includes('upload') ? ' OR d.source_id IS NULL' : '';
    add(`(d.source_id = ANY(${TEXT_ARRAY}::uuid[])${uploads})`, json(ids));
  }

  const parts: Fragment[] = [
    ...('userId' in scope ? [{ sql: 'd.user_id = ?', bindings: [scope.userId] }] : []),
    ...(conditions.length > 0 ? [{ sql: `(${conditions.join(' AND ')}) IS TRUE`, bindings }] : []),
  ];
  return {
    sql: parts.map((part) => part.sql).join(' AND ') || 'TRUE',
    bindings: parts.flatMap((part) => part.bindings),
  };
}

/** The match condition and rank expression of `match` (over `d` and the query row `q`). */
function matchSql(match: SearchMatch): { where: Fragment; rank: Fragment } {
  const whereParts = [
    `(d.search_vector @@ ${QUERY_OF_ANY_CONFIG} AND d.search_vector @@ ${QUERY_OF_DOCUMENT})`,
  ];
  const whereBindings: Knex.Value[] = [];
  const rankParts = [`ts_rank_cd(d.search_vector, ${QUERY_OF_DOCUMENT})`];
  const rankBindings: Knex.Value[] = [];

  if (match.cjk.length > 0) {
    const patterns = match.cjk.map((run) => `%${run}%`);
    whereParts.push(`(d.search_cjk LIKE ALL(${TEXT_ARRAY}))`);
    whereBindings.push(json(patterns));
    rankParts.push(
      `(CASE WHEN d.search_cjk LIKE ALL(${TEXT_ARRAY})
        THEN (CASE WHEN d.title LIKE ALL(${TEXT_ARRAY}) THEN 1.0 ELSE 0.1 END) ELSE 0 END)`,
    );
    rankBindings.push(json(patterns), json(patterns));
  }
  if (match.titleMatches?.length) {
    whereParts.push(`d.id = ANY(${TEXT_ARRAY}::uuid[])`);
    whereBindings.push(json(match.titleMatches.map((entry) => entry.id)));
    rankParts.push(
      `coalesce((SELECT (t.value->>'similarity')::real FROM jsonb_array_elements(?::jsonb) AS t
        WHERE (t.value->>'id')::uuid = d.id), 0)`,
    );
    rankBindings.push(json(match.titleMatches));
  }

  return {
    where: { sql: `(${whereParts.join(' OR ')})`, bindings: whereBindings },
    rank: { sql: `(${rankParts.join(' + ')})::real`, bindings: rankBindings },
  };
}

const toHit = ({ rank, total: _total, ...row }: Row): RankedDocument => ({
  document: toRecord(row),
  rank: Number(rank),
});

/**
 * The page query of `searchRepository.search`: the matches, their count, the candidates ranked
 * and the requested page, in one statement once the query's texts are known.
 */
async function searchPage(
  knex: Knex,
  scope: SearchScope,
  match: SearchMatch,
  filters: SearchFilters,
  page: { limit: number; offset: number; bounds?: RankingBounds | undefined },
): Promise<RankedPage> {
  const bounds = page.bounds ?? RANKING_BOUNDS;
  const texts = await queryTexts(knex, match.tree);
  const filter = filterSql(scope, filters);
  const matched = matchedSql(texts, filter, match);
  if (!matched.sql) return { hits: [], total: 0, texts };
  const titleHits = titleHitsSql(texts, filter);
  const rank = rankSql(match);
  const pageRank = rankSql(match, 'o');

  const result = await knex.raw<{ rows: (Row & { id: string | null })[] }>(
    `WITH matched AS MATERIALIZED (${matched.sql}),
       counted AS (SELECT count(*) AS total FROM matched),
       candidates AS (
         (SELECT m.id FROM matched m ORDER BY m.created_at DESC, m.id DESC
          LIMIT (SELECT CASE WHEN total <= ?::bigint THEN NULL ELSE ?::bigint END FROM counted))
         UNION
         (SELECT m.id FROM matched m WHERE m.id IN (${titleHits.sql})
          ORDER BY m.created_at DESC, m.id DESC
          LIMIT (SELECT CASE WHEN total <= ?::bigint THEN 0 ELSE ?::bigint END FROM counted))
       ),
       ordered AS (
         SELECT m.*, CASE WHEN c.id IS NOT NULL THEN ${rank.sql} END AS candidate_rank
         FROM matched m LEFT JOIN candidates c ON c.id = m.id
         ORDER BY (c.id IS NOT NULL) DESC, candidate_rank DESC NULLS LAST,
                  m.created_at DESC, m.id DESC
         LIMIT ? OFFSET ?
       ),
       page AS (
         SELECT row_number() OVER () AS position, o.id,
                coalesce(o.candidate_rank, ${pageRank.sql}) AS rank
         FROM ordered o
       )
       SELECT counted.total, ${DOCUMENT_COLUMNS}, page.rank
       FROM counted LEFT JOIN page ON TRUE LEFT JOIN documents d ON d.id = page.id
       ORDER BY page.position`,
    [
      ...matched.bindings,
      bounds.rankEveryMatchUpTo,
      bounds.newestCandidates,
      ...titleHits.bindings,
      bounds.rankEveryMatchUpTo,
      bounds.newestCandidates,
      ...rank.bindings,
      page.limit,
      page.offset,
      ...pageRank.bindings,
    ],
  );
  const rows = result.rows.filter((row) => row.id !== null);
  return { hits: rows.map(toHit), total: Number(result.rows[0]?.total ?? 0), texts };
}

/** All SQL of search: ranked pages, facets, similar documents, fuzzy expansion. */
export const searchRepository = {
  /**
   * One page of matches, best first; equal ranks fall back to newest first, then id, so paging
   * is stable. Up to `rankEveryMatchUpTo` matches every match is ranked. Above it ranking
   * every match means reading every matching vector, so only a bounded candidate set is: the
   * newest `newestCandidates` matches and the newest as many title hits; the other matches
   * follow them, newest first (their `rank` is still the real one). `total` is always exact.
   */
  async search(
    knex: Knex,
    scope: SearchScope,
    match: SearchMatch,
    filters: SearchFilters,
    page: { limit: number; offset: number; bounds?: RankingBounds | undefined },
  ): Promise<RankedPage> {
    return searchPage(knex, scope, match, filters, page);
  },

  /** Counts of MIME types and labels over the matches (or all documents without a query). */
  async facets(
    knex: Knex,
    scope: SearchScope,
    match: SearchMatch | undefined,
    filters: SearchFilters,
  ): Promise<FacetCounts> {
    const filter = filterSql(scope, filters);
    const query = match ? queryRow(match.tree) : { sql: 'SELECT 1', bindings: [] };
    const where = match ? matchSql(match).where : { sql: 'TRUE', bindings: [] };

    const result = await knex.raw<{ rows: { facet: string; value: string; count: string }[] }>(
      `WITH matched AS (
         SELECT d.mime_type, d.labels
         FROM documents d CROSS JOIN (${query.sql}) AS q
         WHERE ${filter.sql} AND ${where.sql}
       )
       SELECT 'mime_type' AS facet, mime_type AS value, count(*) AS count
       FROM matched GROUP BY mime_type
       UNION ALL
       SELECT 'label', label, count(*) FROM matched, unnest(labels) AS label GROUP BY label
       ORDER BY facet, count DESC, value`,
      [...query.bindings, ...filter.bindings, ...where.bindings],
    );

    const counts = (facet: string) =>
      result.rows
        .filter((row) => row.facet === facet)
        .map((row) => ({ value: row.value, count: Number(row.count) }));
    return { mime_types: counts('mime_type'), labels: counts('label') };
  },

  /**
   * Lexemes of the caller's index within `threshold` trigram similarity of each word (at most
   * `perWord`, closest first), and documents whose title is that close to the whole query.
   */
  async fuzzyExpansion(
    knex: Knex,
    scope: SearchScope,
    words: string[],
    query: string,
    threshold: number,
    perWord = 12,
  ) {
    return knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('pg_trgm.similarity_threshold', ?, true)`, [
        String(threshold),
      ]);
      const userFilter = 'userId' in scope ? 'AND w.user_id = ?' : '';
      const userBinding = 'userId' in scope ? [scope.userId] : [];
      const similar = await trx.raw<{ rows: { position: number; word: string }[] }>(
        `SELECT t.position, w.word
         FROM unnest(${TEXT_ARRAY}) WITH ORDINALITY AS t(term, position)
         CROSS JOIN LATERAL (
           SELECT w.word FROM search_words w
           WHERE w.word % lower(readur_unaccent(readur_fold(t.term))) ${userFilter}
           ORDER BY similarity(w.word, lower(readur_unaccent(readur_fold(t.term)))) DESC, w.word
           LIMIT ?
         ) AS w
         ORDER BY t.position`,
        [json(words), ...userBinding, perWord],
      );

      const titleFilter = 'userId' in scope ? 'WHERE f.user_id = ?' : '';
      const titles = await trx.raw<{ rows: { id: string; similarity: number }[] }>(
        `SELECT f.id, f.similarity FROM fuzzy_search(?, ?) AS f ${titleFilter} LIMIT 1000`,
        [query, threshold, ...userBinding],
      );

      const lexemes = words.map((_word, index) =>
        similar.rows.filter((row) => Number(row.position) === index + 1).map((row) => row.word),
      );
      return { lexemes, titleMatches: titles.rows };
    });
  },

  /**
   * Documents sharing the most characteristic words of one document: of its 32 most frequent
   * lexemes (title words count extra), the 12 with the best tf·idf among the owner's
   * documents, leaving out words in more than half of them; ranked by `ts_rank_cd`, every
   * part of a document weighing the same.
   * Undefined when the document is not the caller's.
   */
  async similar(
    knex: Knex,
    scope: SearchScope & { documentId: string },
    limit: number,
  ): Promise<RankedDocument[] | undefined> {
    const owner = 'userId' in scope ? 'AND s.user_id = ?' : '';
    const ownerBinding = 'userId' in scope ? [scope.userId] : [];
    const source = await knex.raw<{ rows: { id: string; query: string | null }[] }>(
      `WITH s AS (SELECT s.id, s.user_id, s.search_vector FROM documents s WHERE s.id = ? ${owner}),
       n AS (SELECT count(*) AS total FROM documents d JOIN s ON d.user_id = s.user_id),
       candidates AS (
         SELECT u.lexeme, ${LEXEME_LITERAL}::tsquery AS query,
                cardinality(u.positions) + (CASE WHEN 'A' = ANY(u.weights) THEN 3 ELSE 0 END) AS tf
         FROM s, unnest(s.search_vector) AS u(lexeme, positions, weights)
         WHERE length(u.lexeme) >= 3 AND u.lexeme !~ '^[-0-9.,:/]+$'
         ORDER BY tf DESC, u.lexeme
         LIMIT 32
       ),
       scored AS (
         SELECT c.lexeme, c.tf, (
           SELECT count(*) FROM (
             SELECT 1 FROM documents d JOIN s ON d.user_id = s.user_id
             WHERE d.search_vector @@ c.query LIMIT 5000
           ) AS capped
         ) AS df
         FROM candidates c
       ),
       chosen AS (
         SELECT scored.lexeme FROM scored, n
         WHERE scored.df <= greatest(2, n.total / 2)
         ORDER BY scored.tf * ln(1 + n.total::numeric / scored.df) DESC, scored.lexeme
         LIMIT 12
       )
       SELECT s.id, (
         SELECT string_agg(${LEXEME_LITERAL.replaceAll('u.lexeme', 'chosen.lexeme')}, ' | ')
         FROM chosen
       ) AS query
       FROM s`,
      [scope.documentId, ...ownerBinding],
    );
    const row = source.rows[0];
    if (!row) return undefined;
    if (!row.query) return [];

    const result = await knex.raw<{ rows: Row[] }>(
      `SELECT ${DOCUMENT_COLUMNS}, ts_rank_cd('{1,1,1,1}', d.search_vector, q.q) AS rank, 0 AS total
       FROM documents d CROSS JOIN (SELECT ?::tsquery AS q) AS q
       JOIN documents s ON s.id = ?
       WHERE d.user_id = s.user_id AND d.id <> s.id AND d.search_vector @@ q.q
       ORDER BY rank DESC, d.created_at DESC, d.id DESC
       LIMIT ?`,
      [row.query, scope.documentId, limit],
    );
    return result.rows.map(toHit);
  },

  /** The caller's change counter: bumped by a trigger whenever one of their documents changes. */
  async generation(knex: Knex, userId: string): Promise<number> {
    const result = await knex.raw<{ rows: { generation: string }[] }>(
      'SELECT generation FROM search_generations WHERE user_id = ?',
      [userId],
    );
    return Number(result.rows[0]?.generation ?? 0);
  },
};
