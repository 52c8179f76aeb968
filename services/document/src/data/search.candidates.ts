import type { Knex } from 'knex';
import type { QueryNode } from '../domain/search.query';
import { SEARCH_CONFIGS, queryRow, type Fragment } from './search.tsquery';

type Config = (typeof SEARCH_CONFIGS)[number];

/** The query's tsquery text under each configuration; '' where it has no lexemes there. */
export type QueryTexts = Record<Config, string>;

/** How much of a large match set is ranked (see `searchRepository.search`). */
export interface RankingBounds {
  /** Matches up to this many are all ranked; above it only the candidates are. */
  rankEveryMatchUpTo: number;
  /** Candidates: the newest this many matches, and the newest this many title hits. */
  newestCandidates: number;
}

/** Measured with `bench/search.bench.mjs` (README, Performance → Search). */
export const RANKING_BOUNDS: RankingBounds = { rankEveryMatchUpTo: 1000, newestCandidates: 300 };

/** CJK substrings and fuzzy title matches: the parts of a match no vector index answers. */
export interface ExtraMatch {
  cjk: string[];
  titleMatches?: { id: string; similarity: number }[] | undefined;
}

const TEXT_ARRAY = 'ARRAY(SELECT jsonb_array_elements_text(?::jsonb))';
const json = (value: unknown): string => JSON.stringify(value);

/**
 * The query under every configuration, computed once so the page query binds constants: the
 * planner then sees the lexemes (selectivity) and each branch can use its own partial index.
 */
export async function queryTexts(knex: Knex, tree: QueryNode): Promise<QueryTexts> {
  const query = queryRow(tree);
  const result = await knex.raw<{ rows: QueryTexts[] }>(
    `SELECT ${SEARCH_CONFIGS.map((config) => `q.${config}::text AS ${config}`).join(', ')}
     FROM (${query.sql}) AS q`,
    query.bindings,
  );
  const row = result.rows[0];
  if (!row) throw new Error('the query row is missing');
  return row;
}

const configsOf = (texts: QueryTexts) => SEARCH_CONFIGS.filter((config) => texts[config] !== '');

/** The document's own query as a constant per configuration (NULL where it has no lexemes). */
function ownQuery(texts: QueryTexts): Fragment {
  const arms = SEARCH_CONFIGS.map((config) => `WHEN '${config}' THEN ?::tsquery`).join(' ');
  return {
    sql: `(CASE d.search_config::text ${arms} END)`,
    bindings: SEARCH_CONFIGS.map((config) => texts[config] || null),
  };
}

/** Columns of a matched row: what ranking reads, and the title and CJK runs only for CJK. */
const matchColumns = (extra: ExtraMatch) =>
  `d.id, d.created_at, d.search_vector AS vector${extra.cjk.length > 0 ? ', d.title, d.search_cjk' : ''}`;

/**
 * Every match of the caller, one `UNION ALL` branch per configuration in use: a document is
 * matched under its own configuration by that configuration's partial index, with no per-row
 * recheck of its vector. CJK substrings and fuzzy title matches come in a last branch.
 */
export function matchedSql(texts: QueryTexts, filter: Fragment, extra: ExtraMatch): Fragment {
  const branches: Fragment[] = configsOf(texts).map((config) => ({
    sql: `SELECT ${matchColumns(extra)}, ?::tsquery AS q
          FROM documents d
          WHERE ${filter.sql} AND d.search_config = '${config}'::regconfig
            AND d.search_vector @@ ?::tsquery`,
    bindings: [texts[config], ...filter.bindings, texts[config]],
  }));

  const extras: Fragment[] = [];
  if (extra.cjk.length > 0) {
    extras.push({
      sql: `d.search_cjk LIKE ALL(${TEXT_ARRAY})`,
      bindings: [json(extra.cjk.map((run) => `%${run}%`))],
    });
  }
  if (extra.titleMatches?.length) {
    extras.push({
      sql: `d.id = ANY(${TEXT_ARRAY}::uuid[])`,
      bindings: [json(extra.titleMatches.map((entry) => entry.id))],
    });
  }
  if (extras.length > 0) {
    const own = ownQuery(texts);
    branches.push({
      sql: `SELECT ${matchColumns(extra)}, ${own.sql} AS q
            FROM documents d
            WHERE ${filter.sql} AND (${extras.map((part) => part.sql).join(' OR ')})
              AND NOT coalesce(d.search_vector @@ ${own.sql}, false)`,
      bindings: [
        ...own.bindings,
        ...filter.bindings,
        ...extras.flatMap((part) => part.bindings),
        ...own.bindings,
      ],
    });
  }
  return {
    sql: branches.map((branch) => `(${branch.sql})`).join(' UNION ALL '),
    bindings: branches.flatMap((branch) => branch.bindings),
  };
}

/**
 * Configurations whose query text is the same, with that text: a word the stemmers leave
 * alone (a name, a number, most codes) is one query under every configuration.
 */
function sameQueryGroups(texts: QueryTexts): { configs: Config[]; text: string }[] {
  const groups = new Map<string, Config[]>();
  for (const config of configsOf(texts)) {
    groups.set(texts[config], [...(groups.get(texts[config]) ?? []), config]);
  }
  return [...groups].map(([text, configs]) => ({ configs, text }));
}

/**
 * Ids of the caller's documents whose title matches, through the title index: one branch per
 * distinct query text, so a query the same under every configuration reads the index once
 * (a branch per configuration made the planner answer the smaller ones through their text
 * index and re-parse every title of them).
 */
export function titleHitsSql(texts: QueryTexts, filter: Fragment): Fragment {
  const branches = sameQueryGroups(texts).map(({ configs, text }) => {
    const everyConfig = configs.length === SEARCH_CONFIGS.length;
    return {
      sql: `SELECT d.id FROM documents d
            WHERE ${filter.sql}
              AND to_tsvector(d.search_config, readur_fold(d.title)) @@ ?::tsquery
              ${everyConfig ? '' : `AND (d.search_config = ANY(${TEXT_ARRAY}::regconfig[])) IS TRUE`}`,
      bindings: [...filter.bindings, text, ...(everyConfig ? [] : [json(configs)])],
    };
  });
  if (branches.length === 0) return { sql: 'SELECT NULL::uuid AS id WHERE FALSE', bindings: [] };
  return {
    sql: branches.map((branch) => branch.sql).join(' UNION ALL '),
    bindings: branches.flatMap((branch) => branch.bindings),
  };
}

/** The rank of one matched row `m`: cover density, plus CJK and fuzzy-title bonuses. */
export function rankSql(extra: ExtraMatch, row = 'm'): Fragment {
  const parts = [`coalesce(ts_rank_cd(${row}.vector, ${row}.q), 0)`];
  const bindings: Knex.Value[] = [];
  if (extra.cjk.length > 0) {
    const patterns = json(extra.cjk.map((run) => `%${run}%`));
    parts.push(
      `(CASE WHEN ${row}.search_cjk LIKE ALL(${TEXT_ARRAY})
        THEN (CASE WHEN ${row}.title LIKE ALL(${TEXT_ARRAY}) THEN 1.0 ELSE 0.1 END) ELSE 0 END)`,
    );
    bindings.push(patterns, patterns);
  }
  if (extra.titleMatches?.length) {
    parts.push(
      `coalesce((SELECT (t.value->>'similarity')::real FROM jsonb_array_elements(?::jsonb) AS t
        WHERE (t.value->>'id')::uuid = ${row}.id), 0)`,
    );
    bindings.push(json(extra.titleMatches));
  }
  return { sql: `(${parts.join(' + ')})::real`, bindings };
}
