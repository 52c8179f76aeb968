import { createTestDatabase, uniqueName, waitFor } from '@readur/testkit';

describe('testkit', () => {
  it('when a test database is created, then it answers and is gone after drop()', async () => {
    const database = await createTestDatabase('testkit');

    const result = await database.knex.raw<{ rows: { current_database: string }[] }>(
      'select current_database()',
    );
    await database.drop();

    expect(result.rows[0]?.current_database).toBe(database.name);
    const check = await createTestDatabase('testkit_check');
    const found = await check.knex.raw<{ rows: unknown[] }>(
      'select 1 from pg_database where datname = ?',
      [database.name],
    );
    await check.drop();
    expect(found.rows).toHaveLength(0);
  });

  it('when two names are made from one prefix, then they differ', () => {
    expect(uniqueName('queue')).not.toBe(uniqueName('queue'));
    expect(uniqueName('Bus-Test')).toMatch(/^bus_test_[a-z0-9]+_[0-9a-f]{8}$/);
  });

  it('when the predicate never holds, then waitFor fails with the description', async () => {
    await expect(
      waitFor(() => false, { timeoutMs: 100, intervalMs: 10, description: 'the moon' }),
    ).rejects.toThrow('timed out after 100 ms waiting for the moon');
  });

  it('when the predicate holds, then waitFor returns its value', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? calls : 0))).resolves.toBe(3);
  });
});
