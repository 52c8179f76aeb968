import { Router } from 'express';
import { parseInput } from '@readur/http';
import type { DocumentDeps } from '../domain/document.deps';
import { queryRequired, searchDocuments } from '../domain/search.usecase';
import { presentDocument } from './document.presenter';
import { searchQuerySchema } from './document.schemas';
import { identityOf } from './trust.middleware';

/** `GET /api/search`: full-text search over the caller's titles and OCR text. */
export function searchRoutes(deps: Pick<DocumentDeps, 'knex'>): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseInput(searchQuerySchema, req.query);
    if (!query.q?.trim()) throw queryRequired();

    const result = await searchDocuments(deps, {
      userId: identityOf(req).userId,
      query: query.q,
      mimeType: query.mime_type,
      limit: query.limit,
      offset: query.offset,
    });
    res.json({
      documents: result.hits.map((hit) => ({
        ...presentDocument(hit.document),
        rank: hit.rank,
        snippet: hit.snippet,
      })),
      total: result.total,
      query_time_ms: result.queryTimeMs,
    });
  });

  return router;
}
