import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { sha256Hex } from '../auth/jwt.tokens.js';

let t: TestApp;
let user: TestUser;
let other: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  user = await registerAndLogin(t.app, 'keys');
  other = await registerAndLogin(t.app, 'keys-other');
});
afterAll(async () => {
  await t?.dispose();
});

const keyRow = (id: string) => inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).apiKeys.findById(id));

describe('API keys', () => {
  it('create → use with Bearer and X-API-Key → list without the key → revoke → 401 on the next request', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'ci', expires_in_days: 30 } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['api_key', 'collection_ids', 'created_at', 'expires_at', 'id', 'is_active', 'key', 'key_prefix', 'last_used_at', 'name', 'scope']);
    const key: string = created.body.key;
    expect(key).toMatch(/^smk_[\w-]{43}$/);
    const expiresIn = new Date(created.body.expires_at).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(29 * 86_400_000);
    expect(expiresIn).toBeLessThan(31 * 86_400_000);
    const stored = await keyRow(created.body.id);
    expect(stored!.key_hash).toBe(sha256Hex(key));
    expect(stored!.last_used_at).toBeNull();

    const col = await createCollectionVia(t.app, user);
    const viaBearer = await call(t.app, undefined, { method: 'GET', url: `/api/v2/collections/${col.id}`, headers: { authorization: `Bearer ${key}` } });
    expect(viaBearer.status).toBe(200);
    const viaHeader = await call(t.app, undefined, { method: 'GET', url: '/api/auth/me', headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.username).toBe(user.username);
    expect((await keyRow(created.body.id))!.last_used_at).toBeInstanceOf(Date);

    const list = await call(t.app, user, { method: 'GET', url: '/api/v2/api-keys' });
    expect(list.status).toBe(200);
    expect(list.body.api_keys).toHaveLength(1);
    expect(list.body.api_keys[0]).toMatchObject({ id: created.body.id, name: 'ci', is_active: true, scope: 'full', collection_ids: null });
    expect(list.body.api_keys[0].last_used_at).toEqual(expect.any(String));
    expect(list.body.api_keys[0].key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(key);

    // Another user cannot revoke it, and cannot tell it exists.
    expect((await call(t.app, other, { method: 'DELETE', url: `/api/v2/api-keys/${created.body.id}` })).status).toBe(404);
    const revoked = await call(t.app, user, { method: 'DELETE', url: `/api/v2/api-keys/${created.body.id}` });
    expect(revoked.status).toBe(204);
    const after = await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: { 'x-api-key': key } });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
  });

  it('an API key cannot create, list or revoke keys (403: needs a signed-in session), so revoking it leaves nothing behind', async () => {
    const owner = await registerAndLogin(t.app, 'keys-leak');
    const leaked = (await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'leaked' } })).body;
    const sibling = (await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'sibling' } })).body;
    const asBearer = { authorization: `Bearer ${leaked.key}` };
    const asHeader = { authorization: '', 'x-api-key': leaked.key };

    for (const headers of [asBearer, asHeader]) {
      const mint = await call(t.app, undefined, { method: 'POST', url: '/api/v2/api-keys', headers, payload: { name: 'persistence' } });
      expect(mint.status).toBe(403);
      expect(mint.body.code).toBe('forbidden');
      expect(mint.body.detail).toContain('signed-in session');
      expect(mint.body.key).toBeUndefined();
      expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/api-keys', headers })).status).toBe(403);
      // Nor can it revoke the owner's other keys (or itself: only the session decides).
      expect((await call(t.app, undefined, { method: 'DELETE', url: `/api/v2/api-keys/${sibling.id}`, headers })).status).toBe(403);
      expect((await call(t.app, undefined, { method: 'DELETE', url: `/api/v2/api-keys/${leaked.id}`, headers })).status).toBe(403);
    }
    const rows = await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).apiKeys.listByUser(owner.id));
    expect(rows.map((r) => [r.name, r.is_active]).sort()).toEqual([
      ['leaked', true],
      ['sibling', true],
    ]);

    // The owner revokes the leaked key: it was the holder's only credential, nothing it made survives.
    expect((await call(t.app, owner, { method: 'DELETE', url: `/api/v2/api-keys/${leaked.id}` })).status).toBe(204);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: asBearer })).status).toBe(401);
    const left = await call(t.app, owner, { method: 'GET', url: '/api/v2/api-keys' });
    expect(left.body.api_keys.filter((k: { is_active: boolean }) => k.is_active).map((k: { name: string }) => k.name)).toEqual(['sibling']);
  });

  it('an expired key or a made-up key is 401', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'short-lived', expires_in_days: 1 } });
    await inUnitOfWork(t.testDb.database, (tx) => tx.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', created.body.id).execute());
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/api-keys', headers: { 'x-api-key': created.body.key } })).status).toBe(401);
    const fake = `smk_${'A'.repeat(43)}`;
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/api-keys', headers: { authorization: `Bearer ${fake}` } })).status).toBe(401);
  });

  it('validates the body (422) and 404s malformed ids', async () => {
    expect((await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: '' } })).status).toBe(422);
    expect((await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'x', expires_in_days: 0 } })).status).toBe(422);
    expect((await call(t.app, user, { method: 'DELETE', url: '/api/v2/api-keys/42' })).status).toBe(404);
  });
});
