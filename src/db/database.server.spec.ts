import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, DatabaseUnavailableError } from '../errors/domain-errors.js';
import { makeCollection, makeUser } from '../../test/support/fixtures.js';
import { createEmptyServerDatabase, createServerTestDatabase, testConfig, uniqueName, type TestDatabase } from '../../test/support/test-databases.js';
import { openDatabase } from './database.js';
import { lockDataDir } from './drivers/pglite.driver.js';
import { migrateToLatest, migrationStatus, rollback } from './migrator.js';
import { repositoriesFor } from './repositories.js';
import { inUnitOfWork } from './unit-of-work.js';

// Behaviour that needs a real server: concurrency, the pool's limits, lost connections, migrations.
describe('database on a real PostgreSQL server', () => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await createServerTestDatabase();
  });
  afterAll(async () => {
    await handle?.dispose();
  });

  it('20 simultaneous collection creations with distinct names all succeed', async () => {
    const owner = await inUnitOfWork(handle.database, (tx) => makeUser(repositoriesFor(tx)));
    const names = Array.from({ length: 20 }, () => uniqueName('parallel'));
    const created = await Promise.all(
      names.map((name) => inUnitOfWork(handle.database, (tx) => makeCollection(repositoriesFor(tx), owner.id, { name }))),
    );
    expect(new Set(created.map((c) => c.id)).size).toBe(20);
    const count = await handle.database.db.selectFrom('collections').where('name', 'in', names).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(20);
  });

  it('the same name created twice at once yields exactly one row and one AlreadyExists', async () => {
    const owner = await inUnitOfWork(handle.database, (tx) => makeUser(repositoriesFor(tx)));
    const name = uniqueName('race');
    const results = await Promise.allSettled(
      [1, 2].map(() => inUnitOfWork(handle.database, (tx) => makeCollection(repositoriesFor(tx), owner.id, { name }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(AlreadyExistsError);
    const rows = await handle.database.db.selectFrom('collections').where('name', '=', name).selectAll().execute();
    expect(rows).toHaveLength(1);
  });

  it('the pool makes extra callers wait, times them out with a clear error, and recovers', async () => {
    const small = await openDatabase(testConfig({ DATABASE_URL: handle.url, DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '1', DB_POOL_TIMEOUT: '1' }));
    try {
      let releaseHolders!: () => void;
      const held = new Promise<void>((resolve) => (releaseHolders = resolve));
      let started = 0;
      const holders = [1, 2].map(() =>
        inUnitOfWork(small, async (tx) => {
          await sql`SELECT 1`.execute(tx);
          started++;
          await held;
        }),
      );
      while (started < 2) await new Promise((r) => setTimeout(r, 10));
      expect(small.poolStats()).toMatchObject({ inUse: 2, max: 2 });

      // A third caller waits, then gets a clear, actionable error instead of hanging.
      const third = inUnitOfWork(small, (tx) => sql`SELECT 1`.execute(tx));
      await expect(third).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(third).rejects.toThrow(/DB_POOL_SIZE|DB_POOL_TIMEOUT/);

      // A waiter that gets a connection before its deadline succeeds.
      const waiter = inUnitOfWork(small, (tx) => sql<{ one: number }>`SELECT 1 AS one`.execute(tx));
      releaseHolders();
      await Promise.all(holders);
      expect((await waiter).rows[0]?.one).toBe(1);
      const after = await Promise.all([1, 2, 3, 4].map(() => inUnitOfWork(small, (tx) => sql`SELECT 1`.execute(tx))));
      expect(after).toHaveLength(4);
      expect(small.poolStats().inUse).toBe(0);
      expect(small.poolStats().waiting).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('a connection killed by the server is replaced and the unit of work succeeds', async () => {
    const db = await openDatabase(testConfig({ DATABASE_URL: handle.url, DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '0', DB_POOL_PRE_PING: 'false' }));
    try {
      const pid = await inUnitOfWork(db, async (tx) => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)).rows[0]!.pid);
      await sql`SELECT pg_terminate_backend(${pid})`.execute(handle.database.db);
      await new Promise((r) => setTimeout(r, 100));
      let attempts = 0;
      const pid2 = await inUnitOfWork(db, async (tx) => {
        attempts++;
        return (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)).rows[0]!.pid;
      });
      expect(pid2).not.toBe(pid);
      expect(attempts).toBeGreaterThanOrEqual(1);
    } finally {
      await db.close();
    }
  });

  it('retries a whole unit of work on a serialization failure, not on other errors', async () => {
    let calls = 0;
    const value = await inUnitOfWork(handle.database, async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(calls).toBe(2);

    let failing = 0;
    await expect(
      inUnitOfWork(handle.database, async () => {
        failing++;
        throw Object.assign(new Error('syntax'), { code: '42601' });
      }),
    ).rejects.toThrow('syntax');
    expect(failing).toBe(1);
  });
});

describe('schema migrations', () => {
  async function schemaSnapshot(db: Kysely<any>) {
    const columns = await sql`
      SELECT table_name, column_name, data_type, is_nullable, column_default, generation_expression
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`.execute(db);
    const indexes = await sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`.execute(db);
    const constraints = await sql`
      SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY conname`.execute(db);
    // Storage parameters too (chunks' toast_tuple_target): a migration may change only those.
    const storage = await sql`
      SELECT relname, reloptions FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL ORDER BY relname`.execute(db);
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows, storage: storage.rows };
  }

  it('up → down → up leaves an identical schema; two migrators at once apply each migration once', async () => {
    const empty = await createEmptyServerDatabase();
    const a = await openDatabase(testConfig({ DATABASE_URL: empty.url }));
    const b = await openDatabase(testConfig({ DATABASE_URL: empty.url }));
    try {
      const [ra, rb] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect(ra.length + rb.length).toBe((await migrationStatus(a.db)).migrations.length);
      const first = await schemaSnapshot(a.db);
      expect(first.columns.length).toBeGreaterThan(50);
      expect(first.storage).toContainEqual({ relname: 'chunks', reloptions: ['toast_tuple_target=4080'] });

      const steps = (await migrationStatus(a.db)).migrations.length;
      await rollback(a.db, steps);
      const tables = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name NOT LIKE 'semantik_migrations%'`.execute(a.db);
      expect(tables.rows[0]?.n).toBe(0);
      expect((await migrationStatus(a.db)).pending).toBe(steps);

      await migrateToLatest(a.db);
      expect(await schemaSnapshot(a.db)).toEqual(first);
    } finally {
      await a.close();
      await b.close();
      await empty.dispose();
    }
  });
});

describe('embedded data directory lock', () => {
  it('refuses a data dir held by another live process and takes over a stale lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-lock-'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(dir, 'semantik.lock'), String(other.pid));
      expect(() => lockDataDir(dir)).toThrow(/in use by another Semantik process \(pid \d+\)/);
      await expect(openDatabase(testConfig({ SEMANTIK_DATA_DIR: dir }))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      other.kill('SIGKILL');
    }
    await new Promise((resolve) => other.once('exit', resolve));
    // The holder died: its lock is stale and the embedded database opens.
    const db = await openDatabase(testConfig({ SEMANTIK_DATA_DIR: dir }));
    try {
      await migrateToLatest(db.db);
      expect(fs.readFileSync(path.join(dir, 'semantik.lock'), 'utf8')).toBe(String(process.pid));
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dir, 'semantik.lock'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
