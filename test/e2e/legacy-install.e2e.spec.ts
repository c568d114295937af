import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/http/serve.commands.js';
import { migrateSqlite } from '../../src/migrate-sqlite/migrate-sqlite.service.js';
import { createLogger } from '../../src/shared/logger.js';
import { createJobsEraFile } from '../support/legacy-jobs-era-fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../support/test-databases.js';

/**
 * Issue 10's promise, end to end: a user of a job-era install (webui.db, bcrypt password, a job
 * whose folder still exists) is imported, logs in over HTTP with the old password, sees the
 * collection and its documents marked as needing a reindex, starts the reindex through the API,
 * and can search the rebuilt index. The legacy model (Qwen…) is not available offline, so the
 * rebuild moves the collection to the configured default model.
 */
const PASSWORD = 'legacy password from 2023';
const FILES: Record<string, string> = {
  'glaciers.md': '# Glaciers\n\nGlaciers carve U-shaped valleys and leave moraines of unsorted till behind them.',
  'espresso.md': '# Espresso\n\nA ristretto pulls a shorter shot: less water through finely ground coffee under nine bars.',
  'lichens.txt': 'Lichens are a symbiosis of a fungus and an alga, and colonise bare rock long before mosses do.',
};

describe('a legacy job-era install, migrated, used over HTTP', () => {
  let workDir: string;
  let testDb: TestDatabase;
  let server: RunningServer;

  const api = async (method: string, url: string, token?: string, body?: unknown) => {
    const response = await fetch(server.url + url, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-legacy-e2e-')));
    const folder = path.join(workDir, 'documents', 'notes');
    fs.mkdirSync(folder, { recursive: true });
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(folder, name), text);

    const sqliteFile = path.join(workDir, 'webui.db');
    const legacy = createJobsEraFile(sqliteFile, 'A');
    legacy
      .prepare(`INSERT INTO users (id, username, email, full_name, hashed_password, is_active, created_at) VALUES (1, 'maria', 'maria@example.test', 'María', ?, 1, '2023-01-01T09:00:00+00:00')`)
      .run(bcrypt.hashSync(PASSWORD, 4));
    legacy
      .prepare(
        `INSERT INTO jobs (id, name, description, status, created_at, updated_at, directory_path, model_name, chunk_size, chunk_overlap, user_id, mode)
         VALUES ('11111111-1111-4111-8111-111111111111', 'Field notes', '', 'completed', '2023-02-01T00:00:00+00:00', '2023-02-01T01:00:00+00:00', ?, 'Qwen/Qwen3-Embedding-0.6B', 600, 200, 1, 'create')`,
      )
      .run(folder);
    let id = 0;
    for (const name of Object.keys(FILES)) {
      legacy
        .prepare(
          `INSERT INTO files (id, job_id, path, size, modified, extension, hash, content_hash, status, chunks_created, vectors_created)
           VALUES (?, '11111111-1111-4111-8111-111111111111', ?, ?, '2023-01-10T08:00:00+00:00', ?, ?, ?, 'completed', 1, 1)`,
        )
        .run(++id, path.join(folder, name), FILES[name]!.length, path.extname(name), `meta-${id}`, String(id).padStart(64, '0'));
    }
    legacy.close();

    testDb = await createServerTestDatabase({
      SEMANTIK_DOCUMENT_ROOTS: path.join(workDir, 'documents'),
      DEFAULT_EMBEDDING_MODEL: 'deterministic-hash-384',
      JWT_SECRET_KEY: `legacy-e2e-${randomBytes(24).toString('hex')}`,
    });
    const report = await migrateSqlite({ source: sqliteFile, database: testDb.database, config: testDb.config });
    expect(report.exitCode).toBe(0);
    server = await startServer(testDb.config, testDb.database, createLogger('silent'), { host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await testDb?.dispose();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('logs in with the bcrypt password, sees the collection, reindexes it and searches it', async () => {
    const wrong = await api('POST', '/api/auth/login', undefined, { username: 'maria', password: 'not it' });
    expect(wrong.status).toBe(401);
    const login = await api('POST', '/api/auth/login', undefined, { username: 'maria', password: PASSWORD });
    expect(login.status).toBe(200);
    const token = login.json.access_token as string;
    const stored = await testDb.database.db.selectFrom('users').select('hashed_password').where('username', '=', 'maria').executeTakeFirstOrThrow();
    expect(stored.hashed_password).toMatch(/^\$argon2id\$/); // upgraded on the first successful login

    const list = await api('GET', '/api/v2/collections', token);
    expect(list.status).toBe(200);
    const collection = list.json.collections.find((c: { name: string }) => c.name === 'Field notes');
    expect(collection).toMatchObject({ needs_reindex: true, embedding_model: 'Qwen/Qwen3-Embedding-0.6B' });
    const documents = await api('GET', `/api/v2/collections/${collection.id}/documents`, token);
    expect(documents.json.total).toBe(3);

    const reindex = await api('POST', `/api/v2/collections/${collection.id}/reindex`, token, {});
    expect(reindex.status).toBe(202);
    let operation = reindex.json;
    const deadline = Date.now() + 60_000;
    while (!['completed', 'failed', 'cancelled'].includes(operation.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      operation = (await api('GET', `/api/v2/operations/${operation.id}`, token)).json;
    }
    expect(operation).toMatchObject({ status: 'completed', error_message: null });

    const after = (await api('GET', `/api/v2/collections/${collection.id}`, token)).json;
    expect(after).toMatchObject({ needs_reindex: false, embedding_model: 'deterministic-hash-384', status: 'ready' });
    expect(after.vector_count).toBeGreaterThanOrEqual(3);

    const search = await api('POST', '/api/v2/search', token, { collection_uuids: [collection.id], query: 'ristretto espresso shot', search_type: 'keyword', k: 3 });
    expect(search.status).toBe(200);
    expect(search.json.results[0].file_name).toBe('espresso.md');
  });
});
