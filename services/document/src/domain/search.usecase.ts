import { AppError } from '@readur/errors';
import { searchRepository, type SearchHit } from '../data/search.repository';
import type { DocumentDeps } from './document.deps';

/** A full-text query of one user's documents. */
export interface SearchInput {
  userId: string;
  query: string;
  mimeType?: string | undefined;
  limit: number;
  offset: number;
}

/** Ranked hits, the number of all matches and how long the database took. */
export interface SearchResult {
  hits: SearchHit[];
  total: number;
  queryTimeMs: number;
}

/** 400 for a missing or blank query. */
export const queryRequired = () =>
  new AppError('QUERY_REQUIRED', 'The query parameter q is required', 400);

/** Searches title and OCR text of the caller's documents, best match first. */
export async function searchDocuments(
  deps: Pick<DocumentDeps, 'knex'>,
  input: SearchInput,
): Promise<SearchResult> {
  const query = input.query.trim();
  if (!query) throw queryRequired();

  const started = performance.now();
  const { hits, total } = await searchRepository.search(deps.knex, { ...input, query });
  return { hits, total, queryTimeMs: Math.round((performance.now() - started) * 100) / 100 };
}
