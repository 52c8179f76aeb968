import { AppError } from '@readur/errors';

/** How `q` is read: see the README's search section. */
export type SearchMode = 'web' | 'simple' | 'phrase' | 'boolean' | 'fuzzy';

/** Every mode, for validation. */
export const SEARCH_MODES = ['web', 'simple', 'phrase', 'boolean', 'fuzzy'] as const;

/**
 * A parsed query. Leaves are words as typed (`term`, optionally a `prefix`), quoted phrases,
 * or `lexeme`s that fuzzy search found in the index and must match exactly.
 */
export type QueryNode =
  | { kind: 'term'; text: string; prefix: boolean }
  | { kind: 'phrase'; text: string }
  | { kind: 'lexeme'; text: string }
  | { kind: 'not'; node: QueryNode }
  | { kind: 'and'; nodes: QueryNode[] }
  | { kind: 'or'; nodes: QueryNode[] };

/** A query ready for the repository: the tree plus the substrings for the CJK fallback. */
export interface ParsedQuery {
  tree: QueryNode;
  /** Runs of Chinese, Japanese or Korean characters, searched as substrings. */
  cjk: string[];
  /** Plain words, for fuzzy search. */
  words: string[];
}

/** Longest accepted query, in characters. */
export const MAX_QUERY_LENGTH = 1000;
/** Most words and phrases in one query. */
export const MAX_QUERY_TERMS = 32;

const CJK_RUN =
  /[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+/gu;
const WORD_CHARS = /^[\p{L}\p{N}]+$/u;
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;

const queryError = (code: string, message: string) => new AppError(code, message, 400);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Strips what PostgreSQL cannot hold (NUL, lone surrogates), then NFC. */
export function cleanQuery(raw: string): string {
  return raw.replaceAll('\u0000', ' ').replace(LONE_SURROGATE, ' ').normalize('NFC').trim();
}

type Token =
  | { type: 'word'; text: string; negated: boolean }
  | { type: 'phrase'; text: string; negated: boolean }
  | { type: 'op'; op: 'and' | 'or' | 'not' | 'open' | 'close' };

const OPERATORS: Record<string, 'and' | 'or' | 'not'> = { and: 'and', or: 'or', not: 'not' };

function tokenize(query: string, operators: boolean): Token[] {
  const tokens: Token[] = [];
  const pattern = /(-?)"([^"]*)"?|([()])|(\S+?)(?=[\s()"]|$)/gu;
  for (const match of query.matchAll(pattern)) {
    const [, minus, phrase, paren, word] = match;
    if (phrase !== undefined) {
      tokens.push({ type: 'phrase', text: phrase, negated: minus === '-' });
    } else if (paren) {
      if (operators) tokens.push({ type: 'op', op: paren === '(' ? 'open' : 'close' });
    } else if (word) {
      tokens.push(wordToken(word, operators));
    }
  }
  return tokens;
}

function wordToken(word: string, booleanOperators: boolean): Token {
  const operator = OPERATORS[word.toLowerCase()];
  if (operator === 'or' || (booleanOperators && operator)) return { type: 'op', op: operator };
  const negated = word.startsWith('-') && word.length > 1;
  return { type: 'word', text: negated ? word.slice(1) : word, negated };
}

function leaf(token: Extract<Token, { type: 'word' | 'phrase' }>): QueryNode | undefined {
  if (!HAS_WORD_CHAR.test(token.text)) return undefined;
  let node: QueryNode;
  if (token.type === 'phrase') {
    node = { kind: 'phrase', text: token.text };
  } else {
    const stem = token.text.replace(/\*+$/u, '');
    const prefix = stem.length >= 2 && stem !== token.text && WORD_CHARS.test(stem);
    node = { kind: 'term', text: prefix ? stem : token.text.replace(/\*+$/u, ''), prefix };
  }
  return token.negated ? { kind: 'not', node } : node;
}

/** Recursive descent: OR of ANDs of (NOT)* atoms; a missing `)` closes at the end. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): QueryNode | undefined {
    const node = this.or();
    while (this.position < this.tokens.length) {
      this.position += 1; // a stray ')' ends a group that was never opened: skip it
      const rest = this.or();
      if (rest) return node ? { kind: 'and', nodes: [node, rest] } : rest;
    }
    return node;
  }

  private or(): QueryNode | undefined {
    const nodes: QueryNode[] = [];
    for (;;) {
      const node = this.and();
      if (node) nodes.push(node);
      if (!this.accept('or')) break;
    }
    return combine('or', nodes);
  }

  private and(): QueryNode | undefined {
    const nodes: QueryNode[] = [];
    for (;;) {
      const token = this.tokens[this.position];
      if (!token || (token.type === 'op' && (token.op === 'or' || token.op === 'close'))) break;
      if (this.accept('and')) continue;
      const node = this.unary();
      if (node) nodes.push(node);
    }
    return combine('and', nodes);
  }

  private unary(): QueryNode | undefined {
    if (this.accept('not')) {
      const node = this.unary();
      return node ? { kind: 'not', node } : undefined;
    }
    if (this.accept('open')) {
      const node = this.or();
      this.accept('close');
      return node;
    }
    const token = this.tokens[this.position];
    this.position += 1;
    return token && token.type !== 'op' ? leaf(token) : undefined;
  }

  private accept(op: 'and' | 'or' | 'not' | 'open' | 'close'): boolean {
    const token = this.tokens[this.position];
    if (token?.type !== 'op' || token.op !== op) return false;
    this.position += 1;
    return true;
  }
}

function combine(kind: 'and' | 'or', nodes: QueryNode[]): QueryNode | undefined {
  if (nodes.length <= 1) return nodes[0];
  return { kind, nodes };
}

const leaves = (node: QueryNode): QueryNode[] =>
  node.kind === 'and' || node.kind === 'or'
    ? node.nodes.flatMap(leaves)
    : node.kind === 'not'
      ? leaves(node.node)
      : [node];

/** True when a match needs at least one word to be present (not only absent). */
function hasPositive(node: QueryNode): boolean {
  if (node.kind === 'not') return false;
  if (node.kind === 'and') return node.nodes.some(hasPositive);
  if (node.kind === 'or') return node.nodes.every(hasPositive);
  return true;
}

function wordsOf(query: string): string[] {
  return query
    .split(/[\s"()]+/u)
    .map((word) => word.replace(/^-+|\*+$/gu, ''))
    .filter((word) => HAS_WORD_CHAR.test(word) && !OPERATORS[word.toLowerCase()]);
}

function treeFor(query: string, mode: SearchMode): QueryNode | undefined {
  if (mode === 'phrase') {
    const text = query.replaceAll('"', ' ');
    return HAS_WORD_CHAR.test(text) ? { kind: 'phrase', text } : undefined;
  }
  if (mode === 'simple' || mode === 'fuzzy') {
    const terms = wordsOf(query).map((text): QueryNode => ({ kind: 'term', text, prefix: false }));
    return combine('and', terms);
  }
  return new Parser(tokenize(query, mode === 'boolean')).parse();
}

/**
 * Reads `q` in `mode`. Throws 400 for a query that is too long, has too many terms, or has
 * no word that must be present (empty, only operators or punctuation, only negations).
 */
export function parseQuery(raw: string, mode: SearchMode): ParsedQuery {
  const query = cleanQuery(raw);
  if (!query) throw queryError('QUERY_REQUIRED', 'The query parameter q is required');
  if ([...query].length > MAX_QUERY_LENGTH) {
    throw queryError('QUERY_TOO_LONG', `The query is longer than ${MAX_QUERY_LENGTH} characters`);
  }

  const tree = treeFor(query, mode);
  if (!tree || !hasPositive(tree)) {
    throw queryError(
      'QUERY_WITHOUT_TERMS',
      'The query needs at least one word or number that must appear (not only operators or negations)',
    );
  }
  if (leaves(tree).length > MAX_QUERY_TERMS) {
    throw queryError('QUERY_TOO_COMPLEX', `The query has more than ${MAX_QUERY_TERMS} terms`);
  }

  return { tree, cjk: [...new Set(query.match(CJK_RUN) ?? [])], words: wordsOf(query) };
}

/** The leaves of a tree, for tests and for fuzzy expansion. */
export const queryLeaves = leaves;

/** Anything but letters and digits inside a term: the term is matched as a phrase of its parts. */
export const INNER_PUNCTUATION = /[\p{L}\p{N}][^\p{L}\p{N}]+[\p{L}\p{N}]/u;

/** Whether a document matching `node` holds words in a given order (a phrase, `INV-4711`). */
export function holdsPhrase(node: QueryNode): boolean {
  switch (node.kind) {
    case 'phrase':
      return node.text.trim().split(/\s+/u).length > 1 || INNER_PUNCTUATION.test(node.text);
    case 'term':
      return INNER_PUNCTUATION.test(node.text);
    case 'lexeme':
    case 'not':
      return false;
    case 'and':
    case 'or':
      return node.nodes.some(holdsPhrase);
  }
}
