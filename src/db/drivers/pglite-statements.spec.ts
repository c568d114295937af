import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from './pglite.driver.js';
import { PgliteStatementCache } from './pglite-statements.js';

describe('PgliteStatementCache (embedded prepared statements)', () => {
  let pglite: PGlite;

  beforeAll(async () => {
    pglite = await openPglite(undefined);
    await pglite.exec(`CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE items (id int PRIMARY KEY, name text, tags text[], meta jsonb, v vector(3));
      INSERT INTO items VALUES (1, 'one', '{a,b}', '{"x":1}', '[1,0,0]'), (2, 'two', '{b}', '{"x":2}', '[0,1,0]'), (3, null, '{}', null, '[0,0,1]');`);
  });
  afterAll(async () => {
    await pglite.close();
  });

  const preparedCount = async () => (await pglite.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements`)).rows[0]!.n;

  it('answers like PGlite query() for every parameter type it is given, on every repetition', async () => {
    const cache = new PgliteStatementCache(pglite);
    const text = `SELECT id, name, tags, meta FROM items
      WHERE id = ANY($1::int[]) AND ($2::text IS NULL OR name IS DISTINCT FROM $2) AND (meta IS NULL OR (meta->>'x')::int <= $3)
      ORDER BY v <=> $4::vector, id`;
    const params = [[1, 2, 3], 'two', 5, '[1,0,0]'];
    const expected = (await pglite.query(text, params)).rows;
    expect(expected.map((r) => (r as { id: number }).id)).toEqual([1, 3]);
    for (let i = 0; i < 3; i++) expect((await cache.query(text, params)).rows).toEqual(expected);
    expect((await cache.query(text, [[2], null, 5, '[0,1,0]'])).rows).toEqual([{ id: 2, name: 'two', tags: ['b'], meta: { x: 2 } }]);
    expect(cache.size).toBe(1);
  });

  it('keeps at most its capacity prepared in the backend, evicting the least recently used', async () => {
    const before = await preparedCount();
    const cache = new PgliteStatementCache(pglite, 2);
    for (const id of [1, 2, 3, 1]) {
      const { rows } = await cache.query<{ id: number }>(`SELECT id FROM items WHERE id = $1 /* ${id} */`, [id]);
      expect(rows).toEqual([{ id }]);
    }
    expect(cache.size).toBe(2);
    expect((await preparedCount()) - before).toBe(2);
  });

  it('forgets prepared statements when the schema changes, so SELECT * sees the new column', async () => {
    const cache = new PgliteStatementCache(pglite);
    const text = `SELECT * FROM items WHERE id = $1`;
    expect(Object.keys((await cache.query(text, [1])).rows[0]!)).not.toContain('extra');
    await cache.run(`ALTER TABLE items ADD COLUMN extra int DEFAULT 7`, []);
    expect(cache.size).toBe(0);
    expect((await cache.query(text, [1])).rows[0]).toMatchObject({ id: 1, extra: 7 });
  });

  it('reports a failing execution with its SQLSTATE and stays usable', async () => {
    const cache = new PgliteStatementCache(pglite);
    const text = `SELECT 10 / $1::int AS q`;
    await expect(cache.query(text, [0])).rejects.toMatchObject({ code: '22012' });
    expect((await cache.query(text, [5])).rows).toEqual([{ q: 2 }]);
    await expect(cache.query(`SELECT nope FROM items`, [])).rejects.toMatchObject({ code: '42703' });
    expect(cache.size).toBe(1);
  });

  it('caches reads only', () => {
    expect(PgliteStatementCache.isCacheable('  WITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(PgliteStatementCache.isCacheable('select 1')).toBe(true);
    expect(PgliteStatementCache.isCacheable('insert into items values (9)')).toBe(false);
    expect(PgliteStatementCache.isCacheable('start transaction')).toBe(false);
  });
});
