import type { Knex } from 'knex';
import { INNER_PUNCTUATION, type QueryNode } from '../domain/search.query';

/** The text-search configurations of migration 010; `search_config` is one of them. */
export const SEARCH_CONFIGS = ['readur_english', 'readur_german', 'readur_simple'] as const;

/** A SQL fragment with its positional bindings, in order. */
export interface Fragment {
  sql: string;
  bindings: Knex.Value[];
}

/** A hyphen between letters or digits: `e-mail`, `INV-4711`, `2024-03-15`. */
const JOINED_BY_HYPHEN = /[\p{L}\p{N}]-[\p{L}\p{N}]/u;

/** A tsquery literal of one lexeme, quoted for `::tsquery` (no normalisation applied). */
export function lexemeLiteral(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function term(config: string, text: string, prefix: boolean): Fragment {
  const folded = `readur_fold(?)`;
  if (prefix) return { sql: `to_tsquery('${config}', ${folded} || ':*')`, bindings: [text] };
  if (!INNER_PUNCTUATION.test(text)) {
    return { sql: `plainto_tsquery('${config}', ${folded})`, bindings: [text] };
  }
  const asTyped: Fragment = { sql: `phraseto_tsquery('${config}', ${folded})`, bindings: [text] };
  if (!JOINED_BY_HYPHEN.test(text)) return asTyped;

  // `e-mail` also finds `email`, and `email` finds `e-mail` through the joined form indexed
  // at weight D.
  return {
    sql: `(${asTyped.sql} || plainto_tsquery('${config}', ${folded}))`,
    bindings: [text, text.replaceAll('-', '')],
  };
}

function join(parts: Fragment[], operator: string): Fragment {
  return {
    sql: `(${parts.map((part) => part.sql).join(` ${operator} `)})`,
    bindings: parts.flatMap((part) => part.bindings),
  };
}

/** The tsquery of `node` under one configuration, built from bound values only. */
export function tsqueryFor(node: QueryNode, config: (typeof SEARCH_CONFIGS)[number]): Fragment {
  switch (node.kind) {
    case 'term':
      return term(config, node.text, node.prefix);
    case 'phrase':
      return { sql: `phraseto_tsquery('${config}', readur_fold(?))`, bindings: [node.text] };
    case 'lexeme':
      return { sql: '?::tsquery', bindings: [lexemeLiteral(node.text)] };
    case 'not': {
      const inner = tsqueryFor(node.node, config);
      return { sql: `(!! ${inner.sql})`, bindings: inner.bindings };
    }
    case 'and':
      return join(
        node.nodes.map((child) => tsqueryFor(child, config)),
        '&&',
      );
    case 'or':
      return join(
        node.nodes.map((child) => tsqueryFor(child, config)),
        '||',
      );
  }
}

/**
 * `SELECT` of one row with a column per configuration (`readur_english`, …) holding the query
 * under that configuration, plus `any_config`, their disjunction, for the index scan.
 */
export function queryRow(tree: QueryNode): Fragment {
  const columns = SEARCH_CONFIGS.map((config) => ({ config, ...tsqueryFor(tree, config) }));
  return {
    sql: `SELECT ${columns.map((column) => `${column.sql} AS ${column.config}`).join(', ')}`,
    bindings: columns.flatMap((column) => column.bindings),
  };
}

/** The query under the document's own configuration; `q` is the row of `queryRow`. */
export const QUERY_OF_DOCUMENT = `(CASE d.search_config::text
  WHEN 'readur_english' THEN q.readur_english
  WHEN 'readur_german' THEN q.readur_german
  ELSE q.readur_simple END)`;

/** The disjunction of every configuration's query: a superset the GIN index can answer. */
export const QUERY_OF_ANY_CONFIG = `(q.readur_english || q.readur_german || q.readur_simple)`;
