import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { InProcessOperationEventBus } from '../operations/operation-events.js';
import { createLogger } from '../shared/logger.js';
import { createEmptyServerDatabase, createServerTestDatabase, testConfig, uniqueName } from '../../test/support/test-databases.js';
import { openDatabase, type Database } from '../db/database.js';
import { buildApp } from './app.js';
import { call, createTestApp, registerAndLogin, TEST_JWT_SECRET, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { uow } from './unit-of-work.hook.js';

let t: TestApp;
let user: TestUser;
const failingName = uniqueName('never-committed');

beforeAll(async () => {
  t = await createTestApp({
    env: { SEMANTIK_MAX_BODY_BYTES: '2048' },
    beforeReady: (app: FastifyInstance) => {
      // Test-only routes: a handler that fails after its first insert, and one that throws a plain error.
      app.register(
        async (scope) => {
          const { authenticate } = await import('./auth.hook.js');
          scope.addHook('onRequest', authenticate);
          scope.post('/insert-then-fail', async (request) =>
            uow(request, async ({ repos, principal }) => {
              await repos.collections.insert({
                name: failingName,
                owner_id: principal.user.id,
                vector_store_name: `vs_${failingName}`,
                embedding_model: 'deterministic-hash-384',
                embedding_dimension: 384,
              });
              throw new Error('handler failed after the first insert');
            }),
          );
        },
        { prefix: '/api/test' },
      );
    },
  });
  user = await registerAndLogin(t.app, 'app');
});
afterAll(async () => {
  await t?.dispose();
});

describe('request unit of work', () => {
  it('a failing request leaves no partial rows, answers 500 with a request id and no internals', async () => {
    const res = await call(t.app, user, { method: 'POST', url: '/api/test/insert-then-fail', payload: {} });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ detail: expect.stringContaining(res.body.request_id), code: 'internal_error', request_id: expect.any(String) });
    expect(res.headers['x-request-id']).toBe(res.body.request_id);
    expect(JSON.stringify(res.body)).not.toContain('handler failed');
    const row = await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).collections.findByOwnerAndName(user.id, failingName));
    expect(row).toBeUndefined();
    expect(t.testDb.database.poolStats().inUse).toBe(0);
  });
});

describe('errors', () => {
  it('unknown /api routes are 404 JSON', async () => {
    for (const url of ['/api/nope', '/api/v2/nope', '/api/v2']) {
      const res = await call(t.app, user, { method: 'GET', url });
      expect(res.status, url).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('bodies over SEMANTIK_MAX_BODY_BYTES are 413 payload_too_large', async () => {
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: { name: 'x', description: 'y'.repeat(4000) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: expect.stringContaining('2048'), code: 'payload_too_large' });
  });

  it('malformed JSON is 400 bad_request', async () => {
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad_request');
  });
});

describe('health, metrics, docs', () => {
  it('GET /api/health and /api/health/ready', async () => {
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/health' })).body).toEqual({ status: 'ok' });
    const ready = await call(t.app, undefined, { method: 'GET', url: '/api/health/ready' });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: 'ok', migrations: 'current' });
  });

  it('ready is 503 when the database is unreachable', async () => {
    const testDb = await createServerTestDatabase({ JWT_SECRET_KEY: TEST_JWT_SECRET });
    const app = await buildApp({ config: testDb.config, database: testDb.database, logger: createLogger('silent'), eventBus: new InProcessOperationEventBus(), webRoot: null });
    await testDb.dispose(); // closes the pool and drops the database
    const res = await app.inject({ method: 'GET', url: '/api/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ database: 'unreachable', code: 'database_unavailable' });
    await app.close();
  });

  /** An app on a database with no migrations applied; `prepare` may shape it before the request. */
  async function readinessOnEmptyDatabase(prepare: (database: Database) => Promise<unknown> = async () => {}) {
    const empty = await createEmptyServerDatabase();
    const config = testConfig({ DATABASE_URL: empty.url, JWT_SECRET_KEY: TEST_JWT_SECRET });
    const database = await openDatabase(config);
    const app = await buildApp({ config, database, logger: createLogger('silent'), eventBus: new InProcessOperationEventBus(), webRoot: null });
    try {
      await prepare(database);
      return await app.inject({ method: 'GET', url: '/api/health/ready' });
    } finally {
      await app.close();
      await database.close();
      await empty.dispose();
    }
  }

  it('ready is 503, not 500, when the migration probe fails after the connection probe succeeded', async () => {
    // Stands in for the server going away between the two probes (a restart): here the second
    // query fails deterministically because the migrations table has lost a column.
    const res = await readinessOnEmptyDatabase((database) => sql`CREATE TABLE semantik_migrations (name varchar(255) PRIMARY KEY)`.execute(database.db));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'database_unavailable', detail: expect.stringContaining('timestamp') });
  });

  it('ready is 503 naming the fix when migrations are pending', async () => {
    const res = await readinessOnEmptyDatabase();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ database: 'ok', migrations: 'pending', detail: expect.stringContaining('semantik db migrate') });
  });

  it('GET /metrics exposes request counts by route, pool gauges and operations by status', async () => {
    await call(t.app, user, { method: 'GET', url: '/api/v2/collections' });
    const res = await call(t.app, undefined, { method: 'GET', url: '/metrics' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.raw.body;
    expect(text).toMatch(/semantik_http_requests_total\{method="GET",route="\/api\/v2\/collections",status_code="200"\} \d+/);
    expect(text).toContain('semantik_http_request_duration_seconds_bucket');
    expect(text).toMatch(/semantik_db_pool_in_use \d+/);
    expect(text).toMatch(/semantik_db_pool_waiting \d+/);
    expect(text).toMatch(/semantik_operations\{status="pending"\} \d+/);
  });

  it('serves the OpenAPI document generated from the route schemas at /api/docs', async () => {
    const res = await call(t.app, undefined, { method: 'GET', url: '/api/docs/json' });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v2/collections', '/api/v2/collections/{id}/sources', '/api/auth/login']));
    const perPage = res.body.paths['/api/v2/collections'].get.parameters.find((p: { name: string }) => p.name === 'per_page');
    expect(perPage.schema.maximum).toBe(100);
    expect((await t.app.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('web UI', () => {
  it('serves built files and falls back to index.html for client routes, but not for /api', async () => {
    const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-web-'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><div id="root"></div>');
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    const app = await buildApp({ config: t.testDb.config, database: t.testDb.database, logger: createLogger('silent'), eventBus: t.eventBus, webRoot });
    try {
      expect((await app.inject({ method: 'GET', url: '/' })).body).toContain('id="root"');
      expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).body).toBe('console.log(1)');
      const client = await app.inject({ method: 'GET', url: '/collections/123' });
      expect(client.statusCode).toBe(200);
      expect(client.body).toContain('id="root"');
      const api = await app.inject({ method: 'GET', url: '/api/unknown' });
      expect(api.statusCode).toBe(404);
      expect(api.json().code).toBe('not_found');
    } finally {
      await app.close();
      fs.rmSync(webRoot, { recursive: true, force: true });
    }
  });
});
