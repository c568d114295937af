import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { SOURCE_PATH_NOT_ALLOWED } from '../document-roots/document-roots.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { makeDocument } from '../../test/support/fixtures.js';
import { uniqueName } from '../../test/support/test-databases.js';

let t: TestApp;
let alice: TestUser; // first user: superuser — used only where that is the point
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  alice = await registerAndLogin(t.app, 'admin');
  owner = await registerAndLogin(t.app, 'owner');
  other = await registerAndLogin(t.app, 'other');
});
afterAll(async () => {
  await t?.dispose();
});

const db = () => t.testDb.database;
const repos = <T>(work: (r: ReturnType<typeof repositoriesFor>) => Promise<T>) => inUnitOfWork(db(), (tx) => work(repositoriesFor(tx)));

function folder(name = uniqueName('src')): string {
  const dir = path.join(t.documentRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
  return dir;
}

async function finishActiveOperation(collectionId: string) {
  await repos(async (r) => {
    const active = await r.operations.findActiveForCollection(collectionId);
    if (active) await r.operations.markStatus(active.id, 'completed', { completed_at: new Date() });
  });
}

const CONTRACT_KEYS = [
  'chunk_overlap', 'chunk_size', 'created_at', 'description', 'document_count', 'embedding_model', 'id', 'initial_operation_id', 'is_public', 'metadata',
  'name', 'needs_reindex', 'owner_id', 'quantization', 'status', 'status_message', 'total_size_bytes', 'updated_at', 'vector_count',
  'vector_store_name',
];

describe('POST /api/v2/collections', () => {
  it('creates a pending collection with the contract fields, defaults and a vector index for its dimension', async () => {
    const res = await call(t.app, owner, { method: 'POST', url: '/api/v2/collections', payload: { name: `  ${uniqueName('c')}  `, metadata: { team: 'x' } } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(CONTRACT_KEYS);
    expect(res.body).toMatchObject({
      owner_id: owner.id,
      status: 'pending',
      chunk_size: 1000,
      chunk_overlap: 200,
      is_public: false,
      embedding_model: 'deterministic-hash-384',
      quantization: 'float32',
      metadata: { team: 'x' },
      document_count: 0,
      vector_count: 0,
    });
    expect(res.body.name).toBe(res.body.name.trim());
    expect(res.body.vector_store_name).toBe(`col_${res.body.id.replaceAll('-', '')}`);
    const row = await repos((r) => r.collections.getById(res.body.id));
    expect(row.embedding_dimension).toBe(384);
    const { rows } = await sql<{ indexname: string }>`SELECT indexname FROM pg_indexes WHERE indexname = 'chunk_embeddings_hnsw_384'`.execute(db().db);
    expect(rows).toHaveLength(1);
    const audit = await repos((r) => r.auditLog.listByCollection(res.body.id, { page: 1, perPage: 10 }));
    expect(audit.items.map((a) => a.action)).toEqual(['collection_created']);
  });

  it('409 on a duplicate name of the same owner', async () => {
    const created = await createCollectionVia(t.app, owner);
    const dup = await call(t.app, owner, { method: 'POST', url: '/api/v2/collections', payload: { name: created.name } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('already_exists');
  });

  it("names are per owner: another user's private collection name is neither a conflict nor revealed", async () => {
    const secret = await createCollectionVia(t.app, owner, { name: uniqueName('payroll') });
    const same = await call(t.app, other, { method: 'POST', url: '/api/v2/collections', payload: { name: secret.name } });
    expect(same.status).toBe(201);
    expect(same.body.owner_id).not.toBe(secret.owner_id);
    // Renaming onto a name one already uses is still 409.
    const mine = await createCollectionVia(t.app, other);
    expect((await call(t.app, other, { method: 'PUT', url: `/api/v2/collections/${mine.id}`, payload: { name: secret.name } })).status).toBe(409);
  });

  it.each([
    ['overlap ≥ size', { chunk_size: 500, chunk_overlap: 500 }, 'chunk_overlap'],
    ['chunk_size too small', { chunk_size: 50 }, 'chunk_size'],
    ['chunk_size too large', { chunk_size: 20_000 }, 'chunk_size'],
    ['unknown model', { embedding_model: 'no-such-model' }, undefined],
    ['blank name', { name: '   ' }, 'name'],
    ['name too long', { name: 'x'.repeat(129) }, 'name'],
    ['description too long', { description: 'x'.repeat(2001) }, 'description'],
  ])('422 for %s', async (_label, body, field) => {
    const res = await call(t.app, owner, { method: 'POST', url: '/api/v2/collections', payload: { name: uniqueName('bad'), ...body } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail).toEqual(expect.any(String));
    if (field) expect(res.body.detail).toContain(field);
  });
});

describe('GET /api/v2/embedding-models', () => {
  it('lists the models /api/models lists, with the configured default, which a create without embedding_model gets', async () => {
    const res = await call(t.app, owner, { method: 'GET', url: '/api/v2/embedding-models' });
    expect(res.status).toBe(200);
    // The test app configures DEFAULT_EMBEDDING_MODEL=deterministic-hash-384 (test-only, so listed only because it is the default).
    expect(res.body.default_model).toBe('deterministic-hash-384');
    const byName = Object.fromEntries(res.body.models.map((m: { name: string }) => [m.name, m]));
    expect(byName['deterministic-hash-384']).toMatchObject({ dimension: 384, provider: 'local', is_default: true });
    expect(byName['universal-sentence-encoder-lite']).toMatchObject({ dimension: 512, is_default: false });
    const original = await call(t.app, owner, { method: 'GET', url: '/api/models' });
    expect(Object.keys(original.body.models).sort()).toEqual(Object.keys(byName).sort());

    const created = await createCollectionVia(t.app, owner);
    expect(created.embedding_model).toBe(res.body.default_model);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/embedding-models' })).status).toBe(401);
  });
});

describe('GET /api/v2/collections', () => {
  it('lists own and public collections (not other private ones), paginated and sorted', async () => {
    const prefix = uniqueName('lst');
    await createCollectionVia(t.app, owner, { name: `${prefix}-b` });
    await createCollectionVia(t.app, owner, { name: `${prefix}-a` });
    await createCollectionVia(t.app, other, { name: `${prefix}-c-public`, is_public: true });
    await createCollectionVia(t.app, other, { name: `${prefix}-d-private` });

    const page1 = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections?search=${prefix}&sort_by=name&sort_order=asc&per_page=2` });
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ total: 3, page: 1, per_page: 2 });
    expect(page1.body.collections.map((c: { name: string }) => c.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    const page2 = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections?search=${prefix}&sort_by=name&sort_order=asc&per_page=2&page=2` });
    expect(page2.body.collections.map((c: { name: string }) => c.name)).toEqual([`${prefix}-c-public`]);
  });

  it.each([['per_page=1000'], ['per_page=0'], ['page=0'], ['sort_by=owner_id'], ['sort_order=sideways'], ['sort_by=name;drop table users']])(
    '422 for %s',
    async (query) => {
      const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections?${query.replace(/ /g, '%20')}` });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.errors[0].loc[0]).toBe('query');
    },
  );

  it('an injection attempt in sort_by leaves the users table in place', async () => {
    await call(t.app, owner, { method: 'GET', url: '/api/v2/collections?sort_by=name;drop%20table%20users' });
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM users`.execute(db().db);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(3);
  });
});

describe('authorization', () => {
  it("another user gets 404 for a private collection on every route, and cannot tell it from a missing one", async () => {
    const c = await createCollectionVia(t.app, owner);
    const dir = folder();
    const attempts = [
      { method: 'GET', url: `/api/v2/collections/${c.id}` },
      { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { description: 'mine now' } },
      { method: 'DELETE', url: `/api/v2/collections/${c.id}` },
      { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: dir } },
      { method: 'DELETE', url: `/api/v2/collections/${c.id}/sources?source_path=${encodeURIComponent(dir)}` },
      { method: 'POST', url: `/api/v2/collections/${c.id}/reindex`, payload: {} },
      { method: 'GET', url: `/api/v2/collections/${c.id}/operations` },
      { method: 'GET', url: `/api/v2/collections/${c.id}/documents` },
    ] as const;
    for (const attempt of attempts) {
      const res = await call(t.app, other, attempt);
      expect(res.status, `${attempt.method} ${attempt.url}`).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    const missing = await call(t.app, other, { method: 'GET', url: '/api/v2/collections/6b1b1b1b-1b1b-4b1b-8b1b-1b1b1b1b1b1b' });
    expect(missing.status).toBe(404);
    // The owner and a superuser do see it.
    expect((await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}` })).status).toBe(200);
    expect((await call(t.app, alice, { method: 'GET', url: `/api/v2/collections/${c.id}` })).status).toBe(200);
    const row = await repos((r) => r.collections.getById(c.id));
    expect(row.description).toBeNull();
  });

  it('a public collection is readable by everyone but writable only by its owner (403, not success)', async () => {
    const c = await createCollectionVia(t.app, owner, { is_public: true });
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}` })).status).toBe(200);
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}/operations` })).status).toBe(200);
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}/documents` })).status).toBe(200);
    const writes = [
      { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { name: uniqueName('stolen') } },
      { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { is_public: false } },
      { method: 'DELETE', url: `/api/v2/collections/${c.id}` },
      { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: folder() } },
      { method: 'POST', url: `/api/v2/collections/${c.id}/reindex`, payload: {} },
    ] as const;
    for (const attempt of writes) {
      const res = await call(t.app, other, attempt);
      expect(res.status, `${attempt.method} ${attempt.url}`).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    const row = await repos((r) => r.collections.getById(c.id));
    expect(row).toMatchObject({ name: c.name, is_public: true });
    expect(await repos((r) => r.operations.findActiveForCollection(c.id))).toBeUndefined();
  });

  it('honours collection_permissions: read shows it, write allows edits, only admin may delete or publish', async () => {
    const c = await createCollectionVia(t.app, owner);
    await repos((r) => r.permissions.upsertForUser(c.id, other.id, 'read'));
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}` })).status).toBe(200);
    const listed = await call(t.app, other, { method: 'GET', url: `/api/v2/collections?search=${encodeURIComponent(c.name)}` });
    expect(listed.body.collections.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect((await call(t.app, other, { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { description: 'd' } })).status).toBe(403);

    await repos((r) => r.permissions.upsertForUser(c.id, other.id, 'write'));
    const edited = await call(t.app, other, { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { description: 'edited by writer' } });
    expect(edited.status).toBe(200);
    expect(edited.body.description).toBe('edited by writer');
    expect((await call(t.app, other, { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { is_public: true } })).status).toBe(403);
    expect((await call(t.app, other, { method: 'DELETE', url: `/api/v2/collections/${c.id}` })).status).toBe(403);

    await repos((r) => r.permissions.upsertForUser(c.id, other.id, 'admin'));
    expect((await call(t.app, other, { method: 'DELETE', url: `/api/v2/collections/${c.id}` })).status).toBe(204);
  });

  it('malformed ids in the path are 404, never 500', async () => {
    for (const url of ['/api/v2/collections/not-a-uuid', "/api/v2/collections/1'%20OR%201=1", '/api/v2/collections/123/documents']) {
      const res = await call(t.app, owner, { method: 'GET', url });
      expect(res.status, url).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });
});

describe('GET/PUT /api/v2/collections/{id}', () => {
  it('returns the collection with its sources, and updates name, description, visibility and metadata', async () => {
    const c = await createCollectionVia(t.app, owner);
    const dir = folder();
    expect((await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: dir } })).status).toBe(202);
    const detail = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}` });
    expect(detail.status).toBe(200);
    expect(detail.body.sources).toEqual([
      { id: expect.any(Number), source_path: dir, source_type: 'directory', document_count: 0, size_bytes: 0, last_indexed_at: null,
        sync_interval_minutes: null, next_sync_at: null, watch: false },
    ]);
    const newName = uniqueName('renamed');
    const put = await call(t.app, owner, {
      method: 'PUT',
      url: `/api/v2/collections/${c.id}`,
      payload: { name: newName, description: 'desc', is_public: true, metadata: { a: 1 } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: newName, description: 'desc', is_public: true, metadata: { a: 1 } });
    const taken = await createCollectionVia(t.app, owner);
    const dup = await call(t.app, owner, { method: 'PUT', url: `/api/v2/collections/${c.id}`, payload: { name: taken.name } });
    expect(dup.status).toBe(409);
  });
});

describe('sources', () => {
  it('refuses paths outside the document roots, relative paths, "..", files, missing paths and escaping symlinks with 400', async () => {
    const c = await createCollectionVia(t.app, owner);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-outside-'));
    const link = path.join(t.documentRoot, uniqueName('escape'));
    fs.symlinkSync(outside, link);
    const file = path.join(folder(), 'a.txt');
    const add = (user: TestUser, collectionId: string, sourcePath: string) =>
      call(t.app, user, { method: 'POST', url: `/api/v2/collections/${collectionId}/sources`, payload: { source_path: sourcePath } });
    const cases = [outside, 'relative/path', `${t.documentRoot}/../${path.basename(outside)}`, file, path.join(t.documentRoot, 'missing-dir'), link, '/etc'];
    for (const sourcePath of cases) {
      const res = await add(owner, c.id, sourcePath);
      expect(res.status, sourcePath).toBe(400);
      expect(res.body.code).toBe('bad_request');
      // A non-admin is never shown the configured roots (issue 15 item 6).
      expect(res.body.detail, sourcePath).not.toMatch(/Allowed document roots|SEMANTIK_DOCUMENT_ROOTS/);
    }
    // Lexical problems and a file *inside* the roots get a precise answer; the rest one answer.
    expect((await add(owner, c.id, 'relative/path')).body.detail).toMatch(/must be an absolute path/);
    expect((await add(owner, c.id, `${t.documentRoot}/../x`)).body.detail).toMatch(/"\.\."/);
    expect((await add(owner, c.id, file)).body.detail).toMatch(/is not a folder \(index the folder that contains it\)/);
    for (const sourcePath of [outside, path.join(t.documentRoot, 'missing-dir'), link, '/etc']) {
      expect((await add(owner, c.id, sourcePath)).body.detail, sourcePath).toBe(SOURCE_PATH_NOT_ALLOWED);
    }
    // The admin sees the precise reason and the roots.
    const adminCollection = await createCollectionVia(t.app, alice);
    const forAdmin = await add(alice, adminCollection.id, outside);
    expect(forAdmin.status).toBe(400);
    expect(forAdmin.body.detail).toMatch(/outside the allowed document roots/);
    expect(forAdmin.body.detail).toContain(t.documentRoot);
    expect((await add(alice, adminCollection.id, path.join(t.documentRoot, 'missing-dir'))).body.detail).toMatch(/does not exist/);
    expect(await repos((r) => r.sources.listByCollection(c.id))).toEqual([]);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('a non-admin gets the same refusal for an outside file, an outside folder and an outside missing path (no existence oracle)', async () => {
    const c = await createCollectionVia(t.app, owner);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.mkdirSync(path.join(outside, 'folder'));
    // Through an in-root symlink too: its target's children must not be probeable either.
    const link = path.join(t.documentRoot, uniqueName('escape'));
    fs.symlinkSync(outside, link);
    const probes = [
      path.join(outside, 'secret.txt'),
      path.join(outside, 'folder'),
      path.join(outside, 'missing'),
      path.join(link, 'secret.txt'),
      path.join(link, 'folder'),
      path.join(link, 'missing'),
    ];
    const answers: { status: number; body: unknown }[] = [];
    for (const sourcePath of probes) {
      const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: sourcePath } });
      answers.push({ status: res.status, body: res.body });
    }
    expect(answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0])), JSON.stringify(answers, null, 1)).toBe(true);
    expect(answers[0]).toEqual({ status: 400, body: { code: 'bad_request', detail: SOURCE_PATH_NOT_ALLOWED } });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses a source under a dot-folder (SEMANTIK_ALLOW_DOT_PATHS unset), also through a symlink', async () => {
    const c = await createCollectionVia(t.app, owner);
    const hidden = path.join(t.documentRoot, uniqueName('.ssh'));
    fs.mkdirSync(path.join(hidden, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(hidden, 'keys', 'id_ed25519'), 'PRIVATE KEY');
    const link = path.join(t.documentRoot, uniqueName('innocent'));
    fs.symlinkSync(hidden, link);
    for (const sourcePath of [hidden, path.join(hidden, 'keys'), link]) {
      const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: sourcePath } });
      expect(res.status, sourcePath).toBe(400);
      expect(res.body.detail, sourcePath).toMatch(/dot-folder .*SEMANTIK_ALLOW_DOT_PATHS=true/);
    }
    expect(await repos((r) => r.sources.listByCollection(c.id))).toEqual([]);
  });

  it('first source → index operation; while it is active a second add is 409 and leaves no source row; later adds are append', async () => {
    const c = await createCollectionVia(t.app, owner);
    const first = await call(t.app, owner, {
      method: 'POST',
      url: `/api/v2/collections/${c.id}/sources`,
      payload: { source_path: folder(), config: { recursive: false, include: ['*.md'], exclude: ['tmp/**'] } },
    });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ collection_id: c.id, type: 'index', status: 'pending', config: { recursive: false, include: ['*.md'], exclude: ['tmp/**'] } });
    expect(first.body.config.source_id).toEqual(expect.any(Number));
    expect(first.body.progress).toEqual({ total_files: 0, processed_files: 0, failed_files: 0, current_file: null, percentage: 0 });

    const secondDir = folder();
    const conflict = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: secondDir } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('conflict');
    // The source upsert ran before the conflict was detected; the request's rollback removed it.
    const sources = await repos((r) => r.sources.listByCollection(c.id));
    expect(sources.map((s) => s.source_path)).not.toContain(secondDir);

    await finishActiveOperation(c.id);
    const second = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: secondDir } });
    expect(second.status).toBe(202);
    expect(second.body.type).toBe('append');
  });

  it('a source of a collection that already has documents is an append', async () => {
    const c = await createCollectionVia(t.app, owner);
    await repos((r) => makeDocument(r, c.id));
    const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: folder() } });
    expect(res.body.type).toBe('append');
  });

  it('DELETE …/sources?source_path= → 202 remove_source; an unknown source is 404', async () => {
    const c = await createCollectionVia(t.app, owner);
    const dir = folder();
    await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: dir } });
    await finishActiveOperation(c.id);
    const unknown = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/collections/${c.id}/sources?source_path=${encodeURIComponent('/nope')}` });
    expect(unknown.status).toBe(404);
    const res = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/collections/${c.id}/sources?source_path=${encodeURIComponent(dir)}` });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'remove_source', config: { source_path: dir, source_id: expect.any(Number) } });
    const missingParam = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/collections/${c.id}/sources` });
    expect(missingParam.status).toBe(422);
  });
});

describe('reindex and operations of a collection', () => {
  it('POST …/reindex → 202 reindex with current settings as defaults; bad settings 422', async () => {
    const c = await createCollectionVia(t.app, owner, { chunk_size: 800, chunk_overlap: 100 });
    const bad = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/reindex`, payload: { chunk_overlap: 900 } });
    expect(bad.status).toBe(422);
    const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/reindex`, payload: { chunk_size: 600 } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'reindex', config: { chunk_size: 600, chunk_overlap: 100, embedding_model: 'deterministic-hash-384' } });
    const again = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/reindex` });
    expect(again.status).toBe(409);

    await finishActiveOperation(c.id);
    await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: folder() } });
    const ops = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/operations` });
    expect(ops.status).toBe(200);
    // The last 'index' is the completed set-up operation every create records (initial_operation_id).
    expect(ops.body.map((o: { type: string }) => o.type)).toEqual(['index', 'reindex', 'index']);
    const filtered = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/operations?status=completed&type=reindex` });
    expect(filtered.body.map((o: { type: string }) => o.type)).toEqual(['reindex']);
    const badFilter = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/operations?status=done` });
    expect(badFilter.status).toBe(422);
  });
});

describe('DELETE /api/v2/collections/{id}', () => {
  it('204 and gone when there is nothing to clean up', async () => {
    const c = await createCollectionVia(t.app, owner);
    expect((await call(t.app, owner, { method: 'DELETE', url: `/api/v2/collections/${c.id}` })).status).toBe(204);
    expect((await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}` })).status).toBe(404);
  });

  it('202 delete operation when it has sources, cancelling the active operation first', async () => {
    const c = await createCollectionVia(t.app, owner);
    const index = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: folder() } });
    const res = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/collections/${c.id}` });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'delete', status: 'pending', collection_id: c.id });
    const cancelled = await repos((r) => r.operations.getById(index.body.id));
    expect(cancelled).toMatchObject({ status: 'cancelled', cancel_requested: true });
  });
});
