import { randomUUID } from 'node:crypto';
import {
  call,
  newUser,
  startHarness,
  type Harness,
  type TestUser,
} from './support/document.harness';
import { pdfBytes, pngBytes } from './support/file.factory';
import { highlighted, idsFor, indexDocument, search, searchResponse } from './search.support';

interface FacetsJson {
  mime_types: { value: string; count: number }[];
  labels: { value: string; count: number }[];
}

const admin = (): TestUser => {
  const user = newUser();
  return { ...user, headers: { ...user.headers, 'X-User-Role': 'admin' } };
};

describe('search modes, filters, facets, paging, similar documents and bad input', () => {
  let harness: Harness;
  const user = newUser();
  const other = newUser();
  const boss = admin();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    harness = await startHarness();
    const add = async (name: string, spec: Parameters<typeof indexDocument>[2], as = user) => {
      ids[name] = (await indexDocument(harness, as, spec)).id;
    };
    await add('alphaBeta', { pages: ['alpha beta delta'], labels: ['greek', 'tax'] });
    await add('betaAlpha', { pages: ['beta then alpha'], labels: ['greek'] });
    await add('gamma', { pages: ['gamma delta'], bytes: pdfBytes(), filename: 'gamma.pdf' });
    await add('alphaOnly', { pages: ['alpha alone'], bytes: pngBytes(), filename: 'a.png' });
    await add('kuendigung', {
      pages: ['Die Kündigungsfrist beträgt drei Monate'],
      language: 'deu',
    });
    await add('invoice', { title: 'Quokka census', pages: ['An invoice for the island ferry'] });
    await add('zanzibar', {
      title: 'Unrelated title',
      filename: 'zanzibar_budget.txt',
      pages: ['nothing to see'],
    });
    await add('secondPage', {
      pages: ['cover page', 'Grüße 👋 aus Köln: die Übergröße ist bestellt'],
      language: 'deu',
    });
    await add('ferryA', { pages: ['quokka island ferry beach sunset ferry timetable island'] });
    await add('ferryB', { pages: ['ferry timetable for quokka island and the beach'] });
    await add('unrelated', { pages: ['tax return spreadsheet for the accountant'] });
    await add(
      'othersAlpha',
      { pages: ['alpha beta secret of the other user'], labels: ['greek'] },
      other,
    );
    await add('bossAlpha', { pages: ['alpha beta of the admin'] }, boss);
  });

  afterAll(async () => {
    await harness.close();
  });

  describe('modes', () => {
    it('when mode=simple, then every word must be present, in any order', async () => {
      const found = await idsFor(harness, user, 'alpha beta', { mode: 'simple' });

      expect(new Set(found)).toEqual(new Set([ids.alphaBeta, ids.betaAlpha]));
    });

    it('when mode=phrase, then only the words in that order match', async () => {
      expect(await idsFor(harness, user, 'alpha beta', { mode: 'phrase' })).toEqual([
        ids.alphaBeta,
      ]);
    });

    it('when quoting in the default web mode, then the quote is a phrase and -word excludes', async () => {
      expect(await idsFor(harness, user, '"alpha beta"')).toEqual([ids.alphaBeta]);
      expect(new Set(await idsFor(harness, user, 'alpha -beta'))).toEqual(new Set([ids.alphaOnly]));
      expect(new Set(await idsFor(harness, user, 'gamma or alone'))).toEqual(
        new Set([ids.gamma, ids.alphaOnly]),
      );
    });

    it.each([
      ['alpha AND NOT beta', ['alphaOnly']],
      ['alpha OR gamma', ['alphaBeta', 'betaAlpha', 'gamma', 'alphaOnly']],
      ['(alpha OR gamma) AND delta', ['alphaBeta', 'gamma']],
      ['alpha -beta', ['alphaOnly']],
      ['delta AND (beta OR gamma', ['alphaBeta', 'gamma']],
    ])('when mode=boolean and q=%j, then exactly the right documents match', async (q, names) => {
      const found = await idsFor(harness, user, q, { mode: 'boolean' });

      expect(new Set(found)).toEqual(new Set(names.map((name) => ids[name])));
    });

    it('when a word ends in *, then it matches as a prefix, folded', async () => {
      expect(await idsFor(harness, user, 'kundigung*')).toEqual([ids.kuendigung]);
      expect(await idsFor(harness, user, 'kundigung')).toEqual([]);
    });

    it('when mode=fuzzy, then a typo still finds the word, unless the threshold is strict', async () => {
      expect(await idsFor(harness, user, 'invoise', { mode: 'fuzzy' })).toEqual([ids.invoice]);
      expect(await idsFor(harness, user, 'invoise')).toEqual([]);
      expect(await idsFor(harness, user, 'invoise', { mode: 'fuzzy', threshold: '0.9' })).toEqual(
        [],
      );
    });

    it('when mode=fuzzy and the title is close, then the title finds the document', async () => {
      expect(await idsFor(harness, user, 'Quoka sensus', { mode: 'fuzzy' })).toEqual([ids.invoice]);
    });

    it('when fuzzy_search() is called in SQL, then it ranks titles by similarity', async () => {
      const close = await harness.knex.raw<{ rows: { id: string; similarity: number }[] }>(
        'SELECT id, similarity FROM fuzzy_search(?, ?) WHERE user_id = ?',
        ['quoka censsus', 0.3, user.id],
      );
      const strict = await harness.knex.raw<{ rows: unknown[] }>(
        'SELECT id FROM fuzzy_search(?, ?) WHERE user_id = ?',
        ['quoka censsus', 0.95, user.id],
      );

      expect(close.rows.map((row) => row.id)).toEqual([ids.invoice]);
      expect(close.rows[0]!.similarity).toBeGreaterThan(0.3);
      expect(strict.rows).toEqual([]);
    });
  });

  describe('titles, file names and the response', () => {
    it('when the word is in the title, then that document ranks above a text hit', async () => {
      await indexDocument(harness, user, { pages: ['we counted one quokka census taker'] });

      const result = await search(harness, user, { q: 'quokka census' });

      expect(result.documents[0]!.id).toBe(ids.invoice);
      expect(result.documents[0]!.rank).toBeGreaterThan(result.documents[1]!.rank);
    });

    it('when the word is only in the file name, then the document is found', async () => {
      expect(await idsFor(harness, user, 'zanzibar')).toEqual([ids.zanzibar]);
    });

    it('when a hit is on page 2, then the snippet says page 2 and its offsets count characters', async () => {
      const result = await search(harness, user, { q: 'Übergröße' });
      const hit = result.documents[0]!;

      expect(hit).toMatchObject({ id: ids.secondPage, mime_type: 'text/plain', labels: [] });
      expect([typeof hit.title, typeof hit.filename, typeof hit.created_at]).toEqual([
        'string',
        'string',
        'string',
      ]);
      expect([typeof hit.file_size, typeof hit.rank]).toEqual(['number', 'number']);
      expect(hit.snippets).toEqual([
        {
          text: 'Grüße 👋 aus Köln: die Übergröße ist bestellt',
          page: 2,
          highlights: [{ start: 22, end: 31 }],
        },
      ]);
      expect(highlighted(hit.snippets[0]!)).toEqual(['Übergröße']);
      expect(result).toMatchObject({ total: 1, limit: 20, offset: 0 });
      expect(result.query_time_ms).toBeGreaterThanOrEqual(0);
    });

    it('when characters outside the BMP precede the hit, then each counts as one in the offsets', async () => {
      const reader = newUser();
      await indexDocument(harness, reader, {
        pages: ['\u{20BB7}野家 😀 receipt for the noodle lunch'],
      });
      await indexDocument(harness, reader, {
        pages: ['\u{20BB7}野家の牛丼を注文しました'],
        language: 'jpn',
      });

      const word = await search(harness, reader, { q: 'noodle' });
      const substring = await search(harness, reader, { q: '牛丼' });

      // UTF-16 offsets would be 24–30 and 5–7: U+20BB7 and U+1F600 are two code units each
      expect(word.documents[0]!.snippets).toEqual([
        {
          text: '\u{20BB7}野家 😀 receipt for the noodle lunch',
          page: 1,
          highlights: [{ start: 22, end: 28 }],
        },
      ]);
      expect(substring.documents[0]!.snippets).toEqual([
        { text: '\u{20BB7}野家の牛丼を注文しました', page: 1, highlights: [{ start: 4, end: 6 }] },
      ]);
      expect(word.documents[0]!.snippet).toBe(
        '\u{20BB7}野家 😀 receipt for the <mark>noodle</mark> lunch',
      );
    });

    it('when a word is on every line, then the page gives two short windows, not the whole page', async () => {
      const reader = newUser();
      const lines = Array.from(
        { length: 60 },
        (_, line) => `ledger line ${line} of the ledger book`,
      );
      await indexDocument(harness, reader, { pages: [lines.join('\n')] });

      const [hit] = (await search(harness, reader, { q: 'ledger' })).documents;

      expect(hit!.snippets).toHaveLength(2);
      expect(hit!.snippets[0]!.text.startsWith('ledger line 0 of the ledger book')).toBe(true);
      for (const snippet of hit!.snippets) {
        // a window spans at most 240 characters to its last match, plus context and snapping
        expect(Array.from(snippet.text).length).toBeLessThan(400);
        expect(new Set(highlighted(snippet))).toEqual(new Set(['ledger']));
        // every occurrence shown is highlighted, none at a window's edge left plain
        expect(highlighted(snippet)).toHaveLength(snippet.text.split('ledger').length - 1);
      }
      const [first, second] = hit!.snippets.map((snippet) => snippet.text);
      expect(lines.join(' ').indexOf(second!)).toBeGreaterThanOrEqual(first!.length);
    });

    it('when a phrase matches after its words stood alone, then the snippet shows the phrase', async () => {
      const reader = newUser();
      const alone = Array.from({ length: 12 }, (_, line) => `the harbour wall number ${line}`);
      await indexDocument(harness, reader, {
        pages: [`${alone.join('. ')}. A master plan. Ask the harbour master for the key.`],
      });

      const [hit] = (await search(harness, reader, { q: '"harbour master"' })).documents;

      expect(highlighted(hit!.snippets[0]!)).toContain('harbour master');
    });

    it('when a page of hits is marked by two headline queries, then every hit has its snippets', async () => {
      const reader = newUser();
      for (let index = 0; index < 13; index += 1) {
        await indexDocument(harness, reader, { pages: [`receipt ${index} for a walrus figurine`] });
      }

      const result = await search(harness, reader, { q: 'walrus', limit: '13' });

      expect(result.documents).toHaveLength(13);
      for (const hit of result.documents) {
        expect(hit.snippets.map(highlighted)).toEqual([['walrus']]);
      }
    });

    it('when equal ranks are paged, then every document appears exactly once in a stable order', async () => {
      const pager = newUser();
      const created: string[] = [];
      for (let index = 0; index < 12; index += 1) {
        created.push((await indexDocument(harness, pager, { pages: ['walrus ledger'] })).id);
      }

      const pages = [];
      for (const offset of [0, 5, 10]) {
        pages.push(
          await search(harness, pager, { q: 'walrus', limit: '5', offset: String(offset) }),
        );
      }
      const again = await search(harness, pager, { q: 'walrus', limit: '5', offset: '5' });
      const beyond = await search(harness, pager, { q: 'walrus', limit: '5', offset: '50' });

      const seen = pages.flatMap((page) => page.documents.map((hit) => hit.id));
      expect(seen).toHaveLength(12);
      expect(new Set(seen)).toEqual(new Set(created));
      expect(again.documents.map((hit) => hit.id)).toEqual(
        pages[1]!.documents.map((hit) => hit.id),
      );
      expect(pages.map((page) => page.total)).toEqual([12, 12, 12]);
      expect(beyond).toMatchObject({ documents: [], total: 12 });
    });
  });

  describe('filters and facets', () => {
    it('when filtering by several MIME types, then only those types match', async () => {
      const found = await idsFor(harness, user, 'alpha OR gamma', {
        mode: 'boolean',
        mime_type: ['application/pdf', 'image/png'],
      });
      const commaList = await idsFor(harness, user, 'alpha OR gamma', {
        mode: 'boolean',
        mime_type: 'application/pdf,image/png',
      });

      expect(new Set(found)).toEqual(new Set([ids.gamma, ids.alphaOnly]));
      expect(new Set(commaList)).toEqual(new Set([ids.gamma, ids.alphaOnly]));
    });

    it('when filtering by labels, then documents must carry every label given', async () => {
      expect(new Set(await idsFor(harness, user, 'alpha', { labels: 'greek' }))).toEqual(
        new Set([ids.alphaBeta, ids.betaAlpha]),
      );
      expect(await idsFor(harness, user, 'alpha', { labels: 'greek,tax' })).toEqual([
        ids.alphaBeta,
      ]);
    });

    it('when filtering by creation date, then the range is inclusive of whole days', async () => {
      await harness
        .knex('documents')
        .where({ id: ids.betaAlpha })
        .update({ created_at: new Date('2020-06-15T12:00:00Z') });

      const june = await idsFor(harness, user, 'alpha', {
        created_from: '2020-06-15',
        created_to: '2020-06-15',
      });
      const after = await idsFor(harness, user, 'beta', { created_from: '2021-01-01' });

      expect(june).toEqual([ids.betaAlpha]);
      expect(after).toEqual([ids.alphaBeta]);
    });

    it('when filtering by size, OCR status and source, then each narrows the matches', async () => {
      const rows: { file_size: string }[] = await harness
        .knex('documents')
        .where({ id: ids.gamma })
        .select('file_size');
      const size = String(rows[0]?.file_size);

      expect(await idsFor(harness, user, 'gamma', { min_size: size, max_size: size })).toEqual([
        ids.gamma,
      ]);
      expect(await idsFor(harness, user, 'gamma', { max_size: '10' })).toEqual([]);
      expect(await idsFor(harness, user, 'gamma', { ocr_status: 'completed' })).toEqual([
        ids.gamma,
      ]);
      expect(await idsFor(harness, user, 'gamma', { ocr_status: 'failed,pending' })).toEqual([]);
      const sourceId = randomUUID();
      await harness.knex('documents').where({ id: ids.kuendigung }).update({ source_id: sourceId });
      expect(await idsFor(harness, user, 'kundigung*', { source: sourceId })).toEqual([
        ids.kuendigung,
      ]);
      expect(await idsFor(harness, user, 'kundigung*', { source: 'upload' })).toEqual([]);
      expect(await idsFor(harness, user, 'gamma', { source: 'upload' })).toEqual([ids.gamma]);
      expect(await idsFor(harness, user, 'gamma', { source: randomUUID() })).toEqual([]);
    });

    it('when asking for facets, then MIME types and labels are counted over the caller’s matches', async () => {
      const response = await searchResponse(harness, user, { q: 'alpha' }, '/api/search/facets');
      const all = await searchResponse(harness, user, {}, '/api/search/facets');

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        mime_types: [
          { value: 'text/plain', count: 2 },
          { value: 'image/png', count: 1 },
        ],
        labels: [
          { value: 'greek', count: 2 },
          { value: 'tax', count: 1 },
        ],
      });
      const everything = (await all.json()) as FacetsJson;
      expect(everything.labels).toEqual([
        { value: 'greek', count: 2 },
        { value: 'tax', count: 1 },
      ]);
      expect(everything.mime_types.reduce((sum, entry) => sum + entry.count, 0)).toBeGreaterThan(
        10,
      );
    });
  });

  describe('isolation', () => {
    it('when another user has matching documents, then they are neither returned nor counted', async () => {
      const result = await search(harness, user, { q: 'secret' });
      const other = await search(harness, user, { q: 'alpha beta', mode: 'simple' });

      expect(result).toMatchObject({ documents: [], total: 0 });
      expect(other.total).toBe(2);
      expect(other.documents.map((hit) => hit.id)).not.toContain(ids.othersAlpha);
    });

    it('when an admin searches, then only their own documents unless scope=all', async () => {
      const own = await idsFor(harness, boss, 'alpha beta', { mode: 'simple' });
      const everyone = await idsFor(harness, boss, 'alpha beta', { mode: 'simple', scope: 'all' });
      const facets = (await (
        await searchResponse(harness, boss, { q: 'alpha', scope: 'all' }, '/api/search/facets')
      ).json()) as FacetsJson;

      expect(own).toEqual([ids.bossAlpha]);
      expect(new Set(everyone)).toEqual(
        new Set([ids.alphaBeta, ids.betaAlpha, ids.othersAlpha, ids.bossAlpha]),
      );
      expect(facets.labels).toEqual([
        { value: 'greek', count: 3 },
        { value: 'tax', count: 1 },
      ]);
    });

    it('when an admin asks for facets without scope=all, then only their own documents count', async () => {
      const matching = await searchResponse(harness, boss, { q: 'alpha' }, '/api/search/facets');
      const everything = await searchResponse(harness, boss, {}, '/api/search/facets');

      expect(matching.status).toBe(200);
      expect(await matching.json()).toEqual({
        mime_types: [{ value: 'text/plain', count: 1 }],
        labels: [],
      });
      expect(await everything.json()).toEqual({
        mime_types: [{ value: 'text/plain', count: 1 }],
        labels: [],
      });
    });

    it('when a user who is not an admin asks for scope=all, then 403', async () => {
      const response = await searchResponse(harness, user, { q: 'alpha', scope: 'all' });

      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe('FORBIDDEN');
    });
  });

  describe('similar documents', () => {
    it('when asking for documents like one, then those sharing its words come first, never itself', async () => {
      const response = await call(harness, user, 'GET', `/api/documents/${ids.ferryA}/similar`);
      const body = (await response.json()) as { documents: { id: string; rank: number }[] };

      expect(response.status).toBe(200);
      expect(body.documents[0]!.id).toBe(ids.ferryB);
      expect(body.documents.map((hit) => hit.id)).not.toContain(ids.ferryA);
      expect(body.documents.map((hit) => hit.id)).not.toContain(ids.unrelated);
      expect(body.documents.map((hit) => hit.id)).not.toContain(ids.othersAlpha);
    });

    it('when the document belongs to another user or does not exist, then 404', async () => {
      const foreign = await call(harness, user, 'GET', `/api/documents/${ids.othersAlpha}/similar`);
      const malformed = await call(harness, user, 'GET', '/api/documents/nope/similar');

      expect(foreign.status).toBe(404);
      expect(malformed.status).toBe(404);
    });
  });

  describe('bad input never gives a 500', () => {
    it.each([
      ['', 'QUERY_REQUIRED'],
      ['   ', 'QUERY_REQUIRED'],
      ['x'.repeat(10_000), 'QUERY_TOO_LONG'],
      ['OR', 'QUERY_WITHOUT_TERMS'],
      ['-', 'QUERY_WITHOUT_TERMS'],
      ['-alpha', 'QUERY_WITHOUT_TERMS'],
      ['"" ()', 'QUERY_WITHOUT_TERMS'],
      ['!!! ??? ...', 'QUERY_WITHOUT_TERMS'],
      ['%_\\', 'QUERY_WITHOUT_TERMS'],
      [Array.from({ length: 40 }, (_, index) => `w${index}`).join(' '), 'QUERY_TOO_COMPLEX'],
    ])('when q=%j, then 400 %s with a message', async (q, code) => {
      const response = await searchResponse(harness, user, { q: q });
      const body = (await response.json()) as { code: string; error: string; request_id: string };

      expect(response.status).toBe(400);
      expect(body.code).toBe(code);
      expect(body.error.length).toBeGreaterThan(10);
      expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    const ALPHA = ['alphaBeta', 'betaAlpha', 'alphaOnly'];
    it.each([
      ['"alpha beta', ['alphaBeta']],
      ['alpha"', ALPHA],
      ["'; DROP TABLE documents; --", []],
      ['alpha & | ! <-> :* \\', ALPHA],
      ['a*', []],
      ['((((alpha', ALPHA],
      ['alpha)))', ALPHA],
      ['%_\\ alpha', ALPHA],
      ['\u0000alpha', ALPHA],
      // a lone surrogate cannot be sent: URLSearchParams encodes it as U+FFFD, not a letter
      ['\ud800alpha', ALPHA],
    ])('when q=%j, then 200 with the documents it names, in both modes', async (q, names) => {
      const boolean = await search(harness, user, { q, mode: 'boolean' });
      const web = await search(harness, user, { q });

      const expected = new Set(names.map((name) => ids[name]));
      expect(new Set(boolean.documents.map((hit) => hit.id))).toEqual(expected);
      expect(new Set(web.documents.map((hit) => hit.id))).toEqual(expected);
      const rows: { count: string }[] = await harness.knex('documents').count({ count: '*' });
      expect(Number(rows[0]?.count)).toBeGreaterThan(10);
    });

    it('when boolean operators stand alone, then 400, and web mode reads them as words', async () => {
      const lone = await searchResponse(harness, user, { q: 'AND OR NOT alpha', mode: 'boolean' });
      const web = await searchResponse(harness, user, { q: 'AND OR NOT alpha' });

      expect(lone.status).toBe(400);
      expect(((await lone.json()) as { code: string }).code).toBe('QUERY_WITHOUT_TERMS');
      expect(web.status).toBe(200);
    });

    it.each([
      ['/api/search?q=%FF%FEalpha%C3%28', 'q'],
      ['/api/search?q=alpha%C3', 'q'],
      ['/api/search?q=alpha&labels=%C3%28', 'labels'],
      ['/api/search/facets?q=%ED%A0%80alpha', 'q'],
    ])('when %s holds bytes that are not UTF-8, then 400 INVALID_UTF8', async (path, field) => {
      const response = await call(harness, user, 'GET', path);
      const body = (await response.json()) as { code: string; error: string; details: unknown };

      expect(response.status).toBe(400);
      expect(body).toMatchObject({
        code: 'INVALID_UTF8',
        error: `The query string is not valid UTF-8 (parameter ${field}): percent-encode text as UTF-8 bytes`,
        details: [{ field }],
      });
    });

    it.each([
      ['q=%C3%BCbergr%C3%B6%C3%9Fe', ['secondPage']],
      ['q=%C3%9Cbergr%C3%B6%C3%9Fe+%F0%9F%91%8B', ['secondPage']],
      ['q=alpha+%EF%BF%BD', ALPHA],
      ['q=alpha%', ALPHA],
    ])(
      'when %s is valid UTF-8 (or a bare %%), then it is searched as typed',
      async (query, names) => {
        const response = await call(harness, user, 'GET', `/api/search?${query}`);
        const body = (await response.json()) as { documents: { id: string }[] };

        expect(response.status).toBe(200);
        expect(new Set(body.documents.map((hit) => hit.id))).toEqual(
          new Set(names.map((name) => ids[name])),
        );
      },
    );

    it.each([
      ['mode=bogus'],
      ['threshold=5'],
      ['limit=101'],
      ['limit=0'],
      ['offset=-1'],
      ['created_from=yesterday'],
      ['min_size=-3'],
      ['ocr_status=done'],
      ['scope=everyone'],
      ['source=webdav'],
      ['q=alpha&q=beta'],
    ])('when %s, then 400 VALIDATION_FAILED', async (query) => {
      const response = await call(
        harness,
        user,
        'GET',
        `/api/search?${query.startsWith('q=') ? '' : 'q=alpha&'}${query}`,
      );

      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    });
  });
});
