import { searchRepository } from '../src/data/search.repository';
import { parseQuery } from '../src/domain/search.query';
import { newUser, startHarness, type Harness } from './support/document.harness';
import { indexDocument } from './search.support';

describe('ranking a bounded candidate set when a word matches very many documents', () => {
  let harness: Harness;
  const user = newUser();
  const ids: Record<string, string> = {};
  const tight = { rankEveryMatchUpTo: 3, newestCandidates: 2 };

  const page = (offset: number, limit: number, bounds = tight) => {
    const parsed = parseQuery('capybara', 'web');
    return searchRepository.search(
      harness.knex,
      { userId: user.id },
      { tree: parsed.tree, cjk: parsed.cjk },
      {},
      { limit, offset, bounds },
    );
  };

  beforeAll(async () => {
    harness = await startHarness();
    const add = async (name: string, spec: Parameters<typeof indexDocument>[2]) => {
      ids[name] = (await indexDocument(harness, user, spec)).id;
    };
    // oldest first: created_at grows in this order
    await add('oldTitle', { title: 'Capybara census', pages: ['a count of rodents'] });
    await add('oldDense', { pages: ['capybara and capybara'] });
    await add('middle', { pages: ['one capybara in the river'] });
    await add('newer', { pages: ['a capybara again'] });
    await add('newest', { pages: ['the last capybara'] });
  });

  afterAll(async () => {
    await harness.close();
  });

  it('when the matches are within the bound, then every match is ranked', async () => {
    const result = await page(0, 10, { rankEveryMatchUpTo: 10, newestCandidates: 2 });

    expect(result.total).toBe(5);
    expect(result.hits.slice(0, 2).map((hit) => hit.document.id)).toEqual([
      ids.oldTitle,
      ids.oldDense,
    ]);
  });

  it('when the matches exceed the bound, then title hits and the newest are ranked first and the rest follow newest first', async () => {
    const result = await page(0, 10);

    expect(result.total).toBe(5);
    expect(result.hits.map((hit) => hit.document.id)).toEqual([
      ids.oldTitle,
      ids.newest,
      ids.newer,
      ids.middle,
      ids.oldDense,
    ]);
    expect(result.hits[0]!.rank).toBeGreaterThan(result.hits[1]!.rank);
    expect(result.hits[4]!.rank).toBeGreaterThan(result.hits[3]!.rank);
  });

  it('when the bounded order is paged, then every match appears exactly once', async () => {
    const pages = [await page(0, 2), await page(2, 2), await page(4, 2)];
    const beyond = await page(10, 2);

    const seen = pages.flatMap((result) => result.hits.map((hit) => hit.document.id));
    expect(seen).toEqual((await page(0, 10)).hits.map((hit) => hit.document.id));
    expect(pages.map((result) => result.total)).toEqual([5, 5, 5]);
    expect(beyond.hits).toEqual([]);
    expect(beyond.total).toBe(5);
  });
});
