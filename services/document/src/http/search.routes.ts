import { Router, type Request } from 'express';
import { identityOf, parseInput } from '@readur/http';
import type { DocumentRecord } from '../domain/document.types';
import {
  queryRequired,
  searchDocuments,
  searchFacets,
  similarDocuments,
  type SearchCaller,
  type SearchDeps,
} from '../domain/search.usecase';
import { toMarkedHtml, type Snippet } from '../domain/search.snippet';
import { presentDocument } from './document.presenter';
import { requireUtf8Query } from './query-string.guard';
import {
  facetQuerySchema,
  filtersOf,
  searchQuerySchema,
  similarQuerySchema,
} from './search.schemas';

const callerOf = (req: Request, scope: 'own' | 'all' = 'own'): SearchCaller => ({
  ...identityOf(req),
  scope,
});

const presentHit = (hit: { document: DocumentRecord; rank: number; snippets?: Snippet[] }) => ({
  ...presentDocument(hit.document),
  rank: hit.rank,
  ...(hit.snippets ? { snippets: hit.snippets, snippet: toMarkedHtml(hit.snippets[0]) } : {}),
});

/** `GET /api/search` and `GET /api/search/facets`. */
export function searchRoutes(deps: SearchDeps): Router {
  const router = Router();
  router.use(requireUtf8Query);

  router.get('/', async (req, res) => {
    const query = parseInput(searchQuerySchema, req.query);
    if (!query.q?.trim()) throw queryRequired();

    const result = await searchDocuments(deps, callerOf(req, query.scope), {
      query: query.q,
      mode: query.mode,
      threshold: query.threshold,
      filters: filtersOf(query),
      limit: query.limit,
      offset: query.offset,
    });
    res.setHeader('X-Search-Cache', result.cached ? 'hit' : 'miss');
    res.json({
      documents: result.hits.map(presentHit),
      total: result.total,
      limit: query.limit,
      offset: query.offset,
      mode: query.mode,
      query_time_ms: result.queryTimeMs,
    });
  });

  router.get('/facets', async (req, res) => {
    const query = parseInput(facetQuerySchema, req.query);

    const facets = await searchFacets(deps, callerOf(req, query.scope), {
      query: query.q,
      mode: query.mode,
      filters: filtersOf(query),
    });
    res.json(facets);
  });

  return router;
}

/** `GET /api/documents/:id/similar`: mounted before the document routes. */
export function similarRoutes(deps: SearchDeps): Router {
  const router = Router();

  router.get('/:id/similar', async (req, res) => {
    const query = parseInput(similarQuerySchema, req.query);

    const hits = await similarDocuments(deps, callerOf(req), String(req.params.id), query.limit);
    res.json({ documents: hits.map(presentHit) });
  });

  return router;
}
