import { Redis } from 'ioredis';
import { uniqueName } from '@readur/testkit';
import { call, newUser, startHarness, type Harness } from './support/document.harness';
import { indexDocument, searchResponse, type SearchJson } from './search.support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The real Redis on this machine; the suite fails (not skips) when it does not answer. */
describe('the optional Redis cache of search answers', () => {
  const prefix = `${uniqueName('readur-test')}:`;
  let harness: Harness;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping();
    harness = await startHarness({
      REDIS_ENABLED: 'true',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    });
  });

  afterAll(async () => {
    await harness.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const searchFor = async (user: ReturnType<typeof newUser>, q: string) => {
    const response = await searchResponse(harness, user, { q });
    return {
      cache: response.headers.get('x-search-cache'),
      ids: ((await response.json()) as SearchJson).documents.map((hit) => hit.id),
    };
  };

  it('when the same search repeats, then the second answer comes from Redis with a 5-minute TTL', async () => {
    const user = newUser();
    const document = await indexDocument(harness, user, { pages: ['narwhal tusk report'] });

    const first = await searchFor(user, 'narwhal');
    const second = await searchFor(user, 'narwhal');

    expect(first).toEqual({ cache: 'miss', ids: [document.id] });
    expect(second).toEqual({ cache: 'hit', ids: [document.id] });
    const keys = await redis.keys(`${prefix}search:${user.id}:*`);
    expect(keys).toHaveLength(1);
    const ttl = await redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it('when the user adds, edits or deletes a document, then their cached answers are not served', async () => {
    const user = newUser();
    const first = await indexDocument(harness, user, { pages: ['okapi sighting'] });
    await searchFor(user, 'okapi');

    const second = await indexDocument(harness, user, { pages: ['another okapi'] });
    const afterUpload = await searchFor(user, 'okapi');
    await call(harness, user, 'PATCH', `/api/documents/${first.id}`, { title: 'Okapi census' });
    const afterPatch = await searchFor(user, 'okapi');
    await call(harness, user, 'DELETE', `/api/documents/${second.id}`);
    const afterDelete = await searchFor(user, 'okapi');

    expect(afterUpload.cache).toBe('miss');
    expect(new Set(afterUpload.ids)).toEqual(new Set([first.id, second.id]));
    expect(afterPatch).toEqual({ cache: 'miss', ids: [first.id, second.id] });
    expect(afterDelete).toEqual({ cache: 'miss', ids: [first.id] });
  });

  it('when another user changes their documents, then this user’s cache still hits', async () => {
    const user = newUser();
    const other = newUser();
    const document = await indexDocument(harness, user, { pages: ['pangolin scales'] });
    await searchFor(user, 'pangolin');

    await indexDocument(harness, other, { pages: ['pangolin too'] });
    const again = await searchFor(user, 'pangolin');

    expect(again).toEqual({ cache: 'hit', ids: [document.id] });
  });
});

describe('search without a reachable Redis', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ REDIS_ENABLED: 'true', REDIS_URL: 'redis://127.0.0.1:1' });
  });

  afterAll(async () => {
    await harness.close();
  });

  it('when Redis is down, then search still answers from PostgreSQL', async () => {
    const user = newUser();
    const document = await indexDocument(harness, user, { pages: ['axolotl gills'] });

    const response = await searchResponse(harness, user, { q: 'axolotl' });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-search-cache')).toBe('miss');
    expect(((await response.json()) as SearchJson).documents.map((hit) => hit.id)).toEqual([
      document.id,
    ]);
  });
});
