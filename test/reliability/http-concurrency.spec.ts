import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createCollection } from '../../src/collections/collection.service.js';
import { authenticate } from '../../src/http/auth.hook.js';
import { createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { uow } from '../../src/http/unit-of-work.hook.js';
import { uniqueName } from '../support/test-databases.js';

/**
 * Concurrency through the real HTTP stack (listening socket, fetch) against real PostgreSQL:
 * simultaneous creations, injected failures under load (20 %) that must leave no partial rows,
 * and pool exhaustion that must end in 2xx or a clear 503 — never a hang or a 500 — with the
 * pool back to idle afterwards.
 */

/**
 * Test-only routes, registered before the app is ready. `collection-with-source` writes three
 * rows (collection, its audit entry, a source) plus one more audit entry, then fails on request:
 * `throw` after all the inserts (→ 500), `sql` with a late unique violation (→ 409).
 */
async function registerProbeRoutes(app: FastifyInstance): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', authenticate);
      const r = scope.withTypeProvider<ZodTypeProvider>();
      r.post(
        '/collection-with-source',
        { schema: { body: z.object({ name: z.string(), fail: z.enum(['none', 'throw', 'sql']), clash_with: z.string().optional() }) } },
        async (request, reply) => {
          const { name, fail, clash_with } = request.body;
          const row = await uow(request, async (scope) => {
            const ctx = { tx: scope.tx, repos: scope.repos, principal: scope.principal, config: scope.deps.config, meta: {} };
            const { collection } = await createCollection(ctx, { name, chunk_size: 1000, chunk_overlap: 200, is_public: false });
            await scope.repos.sources.upsert({ collection_id: collection.id, source_path: `/virtual/${name}`, config: {} });
            await scope.repos.auditLog.insert({ collection_id: collection.id, action: 'reliability_probe', user_id: scope.principal.user.id, details: { name } });
            if (fail === 'throw') throw new Error('injected failure after all inserts');
            if (fail === 'sql') {
              // A unique violation discovered after three inserts, as a real late conflict would be.
              await scope.repos.collections.insert({ name: clash_with!, owner_id: scope.principal.user.id, vector_store_name: `vs_${name}`, embedding_model: 'deterministic-hash-384' });
            }
            return collection;
          });
          return reply.code(201).send({ id: row.id });
        },
      );
    },
    { prefix: '/api/v2/_reliability' },
  );
}

interface Answer {
  status: number;
  body: any;
  ms: number;
}

async function send(base: string, user: TestUser, method: string, url: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(base + url, {
    method,
    headers: { ...user.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A request that hangs fails the test instead of the suite.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function serverConnections(t: TestApp) {
  const { rows } = await sql<{ state: string | null; n: number }>`
    SELECT state, count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'semantik' AND pid <> pg_backend_pid()
    GROUP BY state`.execute(t.testDb.database.db);
  return Object.fromEntries(rows.map((r) => [r.state ?? 'null', r.n]));
}

describe('HTTP concurrency on a real server', () => {
  let t: TestApp;
  let base: string;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ beforeReady: registerProbeRoutes });
    base = await listen(t.app);
    user = await registerAndLogin(t.app, 'conc');
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('20 simultaneous collection creations (first use of a new embedding dimension) all succeed', async () => {
    const names = Array.from({ length: 20 }, () => uniqueName('par'));
    const answers = await Promise.all(names.map((name) => send(base, user, 'POST', '/api/v2/collections', { name, embedding_model: 'deterministic-hash-384' })));
    expect(answers.map((a) => (a.status === 201 ? 201 : `${a.status} ${JSON.stringify(a.body)}`))).toEqual(names.map(() => 201));
    const db = t.testDb.database.db;
    const rows = await db.selectFrom('collections').select(['id', 'name']).where('name', 'in', names).execute();
    expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    const audits = await db.selectFrom('collection_audit_log').select('collection_id').where('collection_id', 'in', rows.map((r) => r.id)).where('action', '=', 'collection_created').execute();
    expect(audits).toHaveLength(20);
  });

  it('the same name created 10 times at once: one 201, nine 409 already_exists, one row', async () => {
    const name = uniqueName('same');
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(base, user, 'POST', '/api/v2/collections', { name })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.map((a) => [a.status, a.body.code])).toEqual(refused.map(() => [409, 'already_exists']));
    expect(refused.every((a) => typeof a.body.detail === 'string' && a.body.detail.length > 0)).toBe(true);
    const rows = await t.testDb.database.db.selectFrom('collections').select('id').where('name', '=', name).execute();
    expect(rows).toHaveLength(1);
  });

  it('100 concurrent multi-insert requests with 20 % injected failures leave no partial state', async () => {
    const anchor = uniqueName('anchor');
    expect((await send(base, user, 'POST', '/api/v2/collections', { name: anchor })).status).toBe(201);
    const plan = Array.from({ length: 100 }, (_, i) => ({
      name: uniqueName('rb'),
      fail: i % 5 !== 0 ? 'none' : i % 10 === 0 ? 'throw' : 'sql',
    }));
    const answers = await Promise.all(plan.map((p) => send(base, user, 'POST', '/api/v2/_reliability/collection-with-source', { ...p, clash_with: anchor })));

    const expected = plan.map((p) => (p.fail === 'none' ? 201 : p.fail === 'throw' ? 500 : 409));
    expect(answers.map((a) => a.status)).toEqual(expected);
    for (const [i, a] of answers.entries()) {
      if (plan[i]!.fail === 'throw') expect(a.body).toMatchObject({ code: 'internal_error', request_id: expect.any(String) });
      if (plan[i]!.fail === 'sql') expect(a.body).toMatchObject({ code: 'already_exists' });
    }

    const ok = plan.filter((p) => p.fail === 'none').map((p) => p.name);
    const failed = plan.filter((p) => p.fail !== 'none').map((p) => p.name);
    expect(failed).toHaveLength(20);
    const db = t.testDb.database.db;
    const all = plan.map((p) => p.name);
    const collections = await db.selectFrom('collections').select(['id', 'name']).where('name', 'in', all).execute();
    expect(collections.map((c) => c.name).sort()).toEqual([...ok].sort());
    const sources = await db.selectFrom('collection_sources').select(['collection_id', 'source_path']).where('source_path', 'in', all.map((n) => `/virtual/${n}`)).execute();
    expect(sources.map((s) => s.source_path).sort()).toEqual(ok.map((n) => `/virtual/${n}`).sort());
    // Audit entries are keyed by collection id; a rolled-back collection must have left none by name either.
    const { rows: audits } = await sql<{ name: string; action: string }>`
      SELECT details->>'name' AS name, action FROM collection_audit_log WHERE details->>'name' IN (${sql.join(all)})`.execute(db);
    expect(audits.filter((a) => failed.includes(a.name))).toEqual([]);
    expect(audits).toHaveLength(ok.length * 2);
    expect(await serverConnections(t)).not.toHaveProperty('idle in transaction');
    expect(t.testDb.database.poolStats()).toMatchObject({ inUse: 0, waiting: 0 });
  });
});

describe('pool exhaustion through HTTP (DB_POOL_SIZE=1, DB_MAX_OVERFLOW=1, DB_POOL_TIMEOUT=1)', () => {
  let t: TestApp;
  let base: string;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({
      env: { DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '1', DB_POOL_TIMEOUT: '1' },
      beforeReady: async (app) => {
        await app.register(
          async (scope) => {
            scope.addHook('onRequest', authenticate);
            scope.get('/slow', async (request) => {
              // Holds one of the two connections inside a transaction for 300 ms.
              await uow(request, ({ tx }) => sql`SELECT pg_sleep(0.3)`.execute(tx));
              return { ok: true };
            });
          },
          { prefix: '/api/v2/_reliability' },
        );
      },
    });
    base = await listen(t.app);
    user = await registerAndLogin(t.app, 'pool');
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('40 requests on 2 connections: each gets 200 or a clear 503 in bounded time, then normal service, no leaked connection', async () => {
    const slow = Array.from({ length: 30 }, () => send(base, user, 'GET', '/api/v2/_reliability/slow'));
    const lists = Array.from({ length: 10 }, () => send(base, user, 'GET', '/api/v2/collections'));
    const answers = await Promise.all([...slow, ...lists]);

    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 503);
    expect(unexpected.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    const unavailable = answers.filter((a) => a.status === 503);
    // 30 × 300 ms of work on 2 connections is 4.5 s; with a 1 s checkout limit some must time out.
    expect(unavailable.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
    for (const a of unavailable) {
      expect(a.body).toMatchObject({ code: 'database_unavailable', detail: expect.stringMatching(/DB_POOL_TIMEOUT/) });
    }
    // No request waits unboundedly: at most two checkouts (auth, then the route) of ≤ 1 s each,
    // plus one 300 ms hold. 10 s is a hang detector, not a speed target.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(10_000);
    // Figures for docs/reliability.md (printed, not asserted).
    console.info('[reliability] pool exhaustion', {
      ok: answers.length - unavailable.length,
      unavailable: unavailable.length,
      maxMs: Math.round(Math.max(...answers.map((a) => a.ms))),
      max503Ms: Math.round(Math.max(...unavailable.map((a) => a.ms))),
    });

    expect(t.testDb.database.poolStats()).toMatchObject({ inUse: 0, waiting: 0 });
    for (let i = 0; i < 10; i++) expect((await send(base, user, 'GET', '/api/v2/collections')).status).toBe(200);
    const normal = await Promise.all([1, 2, 3].map(() => send(base, user, 'GET', '/api/v2/_reliability/slow')));
    expect(normal.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(t.testDb.database.poolStats()).toMatchObject({ inUse: 0, waiting: 0, max: 2 });
    const connections = await serverConnections(t);
    expect(connections).not.toHaveProperty('idle in transaction');
    expect(connections).not.toHaveProperty('active');
    expect(Object.values(connections).reduce((n, c) => n + c, 0)).toBeLessThanOrEqual(2);
  });
});
