import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { seedCollection } from '../../test/support/search-fixtures.js';

// Key scopes at the HTTP edge: a read-only key reads and searches but changes nothing; a
// collection-scoped key sees only its collections, everywhere (get, list, search, operations).
let t: TestApp;
let admin: TestUser;
let user: TestUser;
let other: TestUser;
let mine: Awaited<ReturnType<typeof seedCollection>>;
let mineToo: Awaited<ReturnType<typeof seedCollection>>;
let othersPublic: Awaited<ReturnType<typeof seedCollection>>;
let othersPrivate: Awaited<ReturnType<typeof seedCollection>>;
const embedder = createEmbeddingProvider('deterministic-hash-384');

beforeAll(async () => {
  t = await createTestApp();
  admin = await registerAndLogin(t.app, 'scope-admin'); // the first account is the superuser
  user = await registerAndLogin(t.app, 'scope');
  other = await registerAndLogin(t.app, 'scope-other');
  const seed = (ownerId: number, text: string, isPublic = false) =>
    seedCollection(t.testDb.database, { ownerId, embedder, isPublic, documents: [{ path: `/docs/${randomUUID()}.txt`, chunks: [text] }] });
  mine = await seed(user.id, 'The lighthouse keeper trims the lamp wick every evening.');
  mineToo = await seed(user.id, 'Another lighthouse stands on the northern cape.');
  othersPublic = await seed(other.id, 'A public lighthouse logbook.', true);
  othersPrivate = await seed(other.id, 'A private lighthouse diary.');
});
afterAll(async () => {
  await t?.dispose();
  await embedder.close();
});

async function createKey(owner: TestUser, body: Record<string, unknown>) {
  const res = await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: `k-${randomUUID().slice(0, 8)}`, ...body } });
  return res;
}
async function keyOf(owner: TestUser, body: Record<string, unknown>): Promise<{ id: string; key: string; headers: Record<string, string> }> {
  const res = await createKey(owner, body);
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key, headers: { authorization: `Bearer ${res.body.key}` } };
}
const asKey = (headers: Record<string, string>, options: Parameters<typeof call>[2]) => call(t.app, undefined, { ...options, headers: { ...options.headers, ...headers } });
const search = (headers: Record<string, string>, ids: string[]) =>
  asKey(headers, { method: 'POST', url: '/api/v2/search', payload: { collection_uuids: ids, query: 'lighthouse', search_type: 'keyword' } });
const folder = () => fs.mkdtempSync(path.join(t.documentRoot, 'scope-'));

describe('read-only API key', () => {
  it('reads and searches (GET, POST /search, /search/single) and reports scope and last use', async () => {
    const k = await keyOf(user, { scope: 'read' });
    expect((await asKey(k.headers, { method: 'GET', url: '/api/v2/collections' })).status).toBe(200);
    expect((await asKey(k.headers, { method: 'GET', url: `/api/v2/collections/${mine.id}` })).status).toBe(200);
    expect((await asKey(k.headers, { method: 'GET', url: `/api/v2/collections/${mine.id}/documents` })).status).toBe(200);
    expect((await asKey(k.headers, { method: 'GET', url: '/api/v2/operations' })).status).toBe(200);
    expect((await asKey(k.headers, { method: 'GET', url: '/api/auth/me' })).body.username).toBe(user.username);
    const found = await search(k.headers, [mine.id, othersPublic.id]);
    expect(found.status).toBe(200);
    expect(found.body.results.map((r: { collection_id: string }) => r.collection_id).sort()).toEqual([mine.id, othersPublic.id].sort());
    const single = await asKey(k.headers, { method: 'POST', url: '/api/v2/search/single', payload: { collection_id: mine.id, query: 'lamp', search_type: 'keyword' } });
    expect(single.status).toBe(200);
    expect(single.body.results).toHaveLength(1);

    const listed = (await call(t.app, user, { method: 'GET', url: '/api/v2/api-keys' })).body.api_keys.find((row: { id: string }) => row.id === k.id);
    expect(listed).toMatchObject({ scope: 'read', collection_ids: null, last_used_at: expect.any(String) });
  });

  it('gets 403 on every write: create collection, add or remove a source, update, reindex, delete, cancel, logout — and nothing changes', async () => {
    const k = await keyOf(user, { scope: 'read' });
    const writes = [
      { method: 'POST', url: '/api/v2/collections', payload: { name: `nope-${randomUUID()}` } },
      { method: 'POST', url: `/api/v2/collections/${mine.id}/sources`, payload: { source_path: folder() } },
      { method: 'DELETE', url: `/api/v2/collections/${mine.id}/sources?source_path=${encodeURIComponent(t.documentRoot)}` },
      { method: 'PUT', url: `/api/v2/collections/${mine.id}`, payload: { description: 'defaced' } },
      { method: 'POST', url: `/api/v2/collections/${mine.id}/reindex`, payload: {} },
      { method: 'DELETE', url: `/api/v2/collections/${mine.id}` },
      { method: 'DELETE', url: `/api/v2/operations/${randomUUID()}` },
      { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: user.refresh } },
    ] as const;
    for (const write of writes) {
      const res = await asKey(k.headers, write);
      expect(res.status, `${write.method} ${write.url}`).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(res.body.detail).toContain('read-only');
    }
    const state = await inUnitOfWork(t.testDb.database, async (tx) => {
      const repos = repositoriesFor(tx);
      return { collection: await repos.collections.findById(mine.id), sources: await repos.sources.listByCollection(mine.id) };
    });
    expect(state.collection?.description).toBeNull();
    expect(state.collection?.status).not.toBe('deleting');
    expect(state.sources).toEqual([]);
    // The refresh token still works: logout through the key was refused.
    expect((await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: user.refresh } })).status).toBe(200);
  });
});

describe('collection-scoped API key', () => {
  it('sees only its collections: others are 404 (own, public, superuser alike), listing and search are filtered', async () => {
    const k = await keyOf(user, { collection_ids: [mine.id] });
    expect((await asKey(k.headers, { method: 'GET', url: `/api/v2/collections/${mine.id}` })).status).toBe(200);
    for (const hidden of [mineToo.id, othersPublic.id, othersPrivate.id]) {
      const res = await asKey(k.headers, { method: 'GET', url: `/api/v2/collections/${hidden}` });
      expect(res.status, hidden).toBe(404);
      expect((await asKey(k.headers, { method: 'GET', url: `/api/v2/collections/${hidden}/documents` })).status).toBe(404);
    }
    const list = await asKey(k.headers, { method: 'GET', url: '/api/v2/collections' });
    expect(list.body.collections.map((c: { id: string }) => c.id)).toEqual([mine.id]);
    expect(list.body.total).toBe(1);
    // The same user's session still lists its two and the public one.
    expect((await call(t.app, user, { method: 'GET', url: '/api/v2/collections' })).body.total).toBe(3);

    const found = await search(k.headers, [mine.id]);
    expect(found.status).toBe(200);
    expect(found.body.results.map((r: { collection_id: string }) => r.collection_id)).toEqual([mine.id]);
    const mixed = await search(k.headers, [mine.id, mineToo.id, othersPublic.id]);
    expect(mixed.status).toBe(404);
    expect(mixed.body.detail).toContain(mineToo.id);
    expect(mixed.body.detail).toContain(othersPublic.id);
    expect(mixed.body.detail).not.toContain(mine.id);

    // A superuser's scoped key is narrowed just the same.
    const adminKey = await keyOf(admin, { collection_ids: [othersPublic.id] });
    expect((await asKey(adminKey.headers, { method: 'GET', url: `/api/v2/collections/${othersPrivate.id}` })).status).toBe(404);
    expect((await asKey(adminKey.headers, { method: 'GET', url: '/api/v2/collections' })).body.total).toBe(1);
    expect((await call(t.app, admin, { method: 'GET', url: `/api/v2/collections/${othersPrivate.id}` })).status).toBe(200);
  });

  it('a full scoped key writes inside its collections only, cannot create collections, and lists only their operations', async () => {
    const k = await keyOf(user, { collection_ids: [mine.id] });
    expect((await asKey(k.headers, { method: 'PUT', url: `/api/v2/collections/${mine.id}`, payload: { description: 'via key' } })).status).toBe(200);
    expect((await asKey(k.headers, { method: 'PUT', url: `/api/v2/collections/${mineToo.id}`, payload: { description: 'via key' } })).status).toBe(404);
    const create = await asKey(k.headers, { method: 'POST', url: '/api/v2/collections', payload: { name: `scoped-${randomUUID()}` } });
    expect(create.status).toBe(403);
    expect(create.body.detail).toContain('specific collections');

    const inScope = await asKey(k.headers, { method: 'POST', url: `/api/v2/collections/${mine.id}/sources`, payload: { source_path: folder() } });
    expect(inScope.status).toBe(202);
    const outOfScope = await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${mineToo.id}/sources`, payload: { source_path: folder() } });
    expect(outOfScope.status).toBe(202);
    const ops = await asKey(k.headers, { method: 'GET', url: '/api/v2/operations' });
    expect(ops.body.operations.map((o: { id: string }) => o.id)).toEqual([inScope.body.id]);
    expect(ops.body.total).toBe(1);
    expect((await asKey(k.headers, { method: 'GET', url: `/api/v2/operations/${outOfScope.body.id}` })).status).toBe(404);
    expect((await asKey(k.headers, { method: 'DELETE', url: `/api/v2/operations/${outOfScope.body.id}` })).status).toBe(404);
    expect((await call(t.app, user, { method: 'GET', url: '/api/v2/operations' })).body.total).toBe(2);
  });

  it('read-only and scoped together: searches its collection, changes nothing', async () => {
    const k = await keyOf(user, { scope: 'read', collection_ids: [mineToo.id] });
    expect((await search(k.headers, [mineToo.id])).status).toBe(200);
    expect((await search(k.headers, [mine.id])).status).toBe(404);
    expect((await asKey(k.headers, { method: 'PUT', url: `/api/v2/collections/${mineToo.id}`, payload: { description: 'x' } })).status).toBe(403);
  });
});

describe('creating a scoped key', () => {
  it('each collection must be one the creator can read: another user’s private or a missing one is 404 and creates nothing', async () => {
    const before = (await call(t.app, user, { method: 'GET', url: '/api/v2/api-keys' })).body.api_keys.length;
    for (const id of [othersPrivate.id, randomUUID()]) {
      const res = await createKey(user, { collection_ids: [mine.id, id] });
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect(res.body.key).toBeUndefined();
    }
    expect((await call(t.app, user, { method: 'GET', url: '/api/v2/api-keys' })).body.api_keys).toHaveLength(before);

    // A public collection of another user is readable, so it may be scoped to; duplicates collapse.
    const ok = await createKey(user, { scope: 'read', collection_ids: [othersPublic.id, othersPublic.id.toUpperCase()] });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ scope: 'read', collection_ids: [othersPublic.id] });
  });

  it('validates scope and collection_ids (422)', async () => {
    for (const body of [{ scope: 'admin' }, { collection_ids: [] }, { collection_ids: ['not-a-uuid'] }, { collection_ids: mine.id }]) {
      const res = await createKey(user, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });
});

describe('stored scopes', () => {
  it('a key without stored scope (legacy/imported) acts as its user; an unreadable stored scope is refused, never widened', async () => {
    const legacy = await keyOf(user, {});
    const broken = await keyOf(user, { scope: 'read' });
    await inUnitOfWork(t.testDb.database, async (tx) => {
      await tx.updateTable('api_keys').set({ permissions: null }).where('id', '=', legacy.id).execute();
      await tx.updateTable('api_keys').set({ permissions: JSON.stringify({ scope: 'everything' }) }).where('id', '=', broken.id).execute();
    });
    expect((await asKey(legacy.headers, { method: 'PUT', url: `/api/v2/collections/${mineToo.id}`, payload: { description: 'legacy' } })).status).toBe(200);
    expect((await asKey(broken.headers, { method: 'GET', url: '/api/v2/collections' })).status).toBe(401);
  });
});
