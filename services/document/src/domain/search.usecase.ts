import type { Knex } from 'knex';
import { AppError, forbidden } from '@readur/errors';
import type { SearchCache } from '../data/search.cache';
import {
  searchRepository,
  type FacetCounts,
  type SearchFilters,
  type SearchMatch,
  type SearchScope,
} from '../data/search.repository';
import type { QueryTexts } from '../data/search.candidates';
import { snippetRepository } from '../data/snippet.repository';
import type { DocumentRecord } from './document.types';
import { documentNotFound } from './document.errors';
import { holdsPhrase, parseQuery, type QueryNode, type SearchMode } from './search.query';
import { aroundSubstrings, fromHeadline, fromMarked, type Snippet } from './search.snippet';

/** What search needs: the database and the (possibly disabled) cache. */
export interface SearchDeps {
  knex: Knex;
  cache: SearchCache;
  /** Default trigram similarity of fuzzy mode, 0–1. */
  fuzzyThreshold: number;
}

/** Who asks, as the gateway vouched for it. */
export interface SearchCaller {
  userId: string;
  role: 'admin' | 'user';
  /** `all` searches every user's documents; admins only. */
  scope: 'own' | 'all';
}

/** A query of `GET /api/search`. */
export interface SearchInput {
  query: string;
  mode: SearchMode;
  threshold?: number | undefined;
  filters: SearchFilters;
  limit: number;
  offset: number;
}

/** One hit: the document, its rank and where the words were found. */
export interface SearchHit {
  document: DocumentRecord;
  rank: number;
  snippets: Snippet[];
}

/** A page of hits, the number of all matches and how long it took. */
export interface SearchResult {
  hits: SearchHit[];
  total: number;
  queryTimeMs: number;
  cached: boolean;
}

/** 400 for a missing or blank query. */
export const queryRequired = () =>
  new AppError('QUERY_REQUIRED', 'The query parameter q is required', 400);

const SNIPPETS_PER_DOCUMENT = 3;

function scopeOf(caller: SearchCaller): SearchScope {
  if (caller.scope === 'own') return { userId: caller.userId };
  if (caller.role !== 'admin') throw forbidden('Only admins may search with scope=all');
  return { all: true };
}

const elapsedSince = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** Answers from the cache when enabled and the caller's documents did not change since. */
async function throughCache<T>(
  deps: SearchDeps,
  caller: SearchCaller,
  kind: string,
  input: unknown,
  compute: () => Promise<T>,
): Promise<{ value: T; cached: boolean }> {
  if (!deps.cache.enabled || caller.scope === 'all')
    return { value: await compute(), cached: false };

  const generation = await searchRepository.generation(deps.knex, caller.userId);
  const key = deps.cache.key(kind, caller.userId, generation, input);
  const hit = await deps.cache.get<T>(key);
  if (hit !== undefined) return { value: hit, cached: true };

  const value = await compute();
  await deps.cache.set(key, value);
  return { value, cached: false };
}

/** Fuzzy mode: each word also matches the closest lexemes of the index; titles by trigram. */
async function fuzzyMatch(
  deps: SearchDeps,
  scope: SearchScope,
  input: SearchInput,
  words: string[],
): Promise<SearchMatch> {
  const threshold = input.threshold ?? deps.fuzzyThreshold;
  const expansion = await searchRepository.fuzzyExpansion(
    deps.knex,
    scope,
    words,
    input.query,
    threshold,
  );
  const nodes = words.map((text, index): QueryNode => ({
    kind: 'or',
    nodes: [
      { kind: 'term', text, prefix: false },
      ...(expansion.lexemes[index] ?? []).map((lexeme): QueryNode => ({
        kind: 'lexeme',
        text: lexeme,
      })),
    ],
  }));
  const tree: QueryNode = nodes.length === 1 ? (nodes[0] as QueryNode) : { kind: 'and', nodes };
  return { tree, cjk: [], titleMatches: expansion.titleMatches };
}

async function snippetsFor(
  deps: SearchDeps,
  ids: string[],
  match: SearchMatch,
  texts: QueryTexts,
): Promise<Map<string, Snippet[]>> {
  const [headlines, windows] = await Promise.all([
    snippetRepository.headlines(deps.knex, ids, texts),
    snippetRepository.substringWindows(deps.knex, ids, match.cjk),
  ]);

  const phrase = holdsPhrase(match.tree);
  const byDocument = new Map<string, Snippet[]>();
  const add = (id: string, snippets: Snippet[]) =>
    byDocument.set(id, [...(byDocument.get(id) ?? []), ...snippets]);
  for (const row of headlines.filter((entry) => entry.page !== null)) {
    add(row.document_id, fromHeadline(row.headline, row.page, { phrase }));
  }
  for (const row of windows) add(row.document_id, aroundSubstrings(row.text, match.cjk, row.page));
  for (const row of headlines.filter((entry) => entry.page === null)) {
    if (byDocument.get(row.document_id)?.length) continue;
    const title = fromMarked(row.headline, null);
    if (title && title.highlights.length > 0) add(row.document_id, [title]);
  }
  return byDocument;
}

/**
 * Searches titles, file names and OCR text of the caller's documents (every user's for an
 * admin with `scope=all`), best match first, with snippets of the pages that matched.
 */
export async function searchDocuments(
  deps: SearchDeps,
  caller: SearchCaller,
  input: SearchInput,
): Promise<SearchResult> {
  const scope = scopeOf(caller);
  const parsed = parseQuery(input.query, input.mode);
  const started = performance.now();

  const { value, cached } = await throughCache(deps, caller, 'search', input, async () => {
    const match =
      input.mode === 'fuzzy'
        ? await fuzzyMatch(deps, scope, input, parsed.words)
        : { tree: parsed.tree, cjk: parsed.cjk };
    const page = await searchRepository.search(deps.knex, scope, match, input.filters, input);

    const ids = page.hits.map((hit) => hit.document.id);
    const snippets = await snippetsFor(deps, ids, match, page.texts);
    const hits = page.hits.map((hit) => ({
      ...hit,
      snippets: (snippets.get(hit.document.id) ?? []).slice(0, SNIPPETS_PER_DOCUMENT),
    }));
    return { hits, total: page.total };
  });

  return { ...value, queryTimeMs: elapsedSince(started), cached };
}

/** Facet counts of MIME types and labels over the matches of `query` (or all documents). */
export async function searchFacets(
  deps: SearchDeps,
  caller: SearchCaller,
  input: { query?: string | undefined; mode: SearchMode; filters: SearchFilters },
): Promise<FacetCounts> {
  const scope = scopeOf(caller);
  const parsed = input.query?.trim() ? parseQuery(input.query, input.mode) : undefined;

  const { value } = await throughCache(deps, caller, 'facets', input, () => {
    const match = parsed ? { tree: parsed.tree, cjk: parsed.cjk } : undefined;
    return searchRepository.facets(deps.knex, scope, match, input.filters);
  });
  return value;
}

/** Documents like one of the caller's documents; 404 when it is not theirs. */
export async function similarDocuments(
  deps: SearchDeps,
  caller: SearchCaller,
  documentId: string,
  limit: number,
): Promise<{ document: DocumentRecord; rank: number }[]> {
  const scope = scopeOf(caller);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(documentId)) {
    throw documentNotFound();
  }

  const { value } = await throughCache(deps, caller, 'similar', { documentId, limit }, () =>
    searchRepository.similar(deps.knex, { ...scope, documentId }, limit),
  );
  if (!value) throw documentNotFound();
  return value;
}
