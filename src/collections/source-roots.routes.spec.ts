import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { enqueue, silentLogger, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { startWorker } from '../worker/worker.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';

/**
 * Who may index which folder (issue 15 item 2): per-user document roots inside SEMANTIK_DOCUMENT_ROOTS,
 * and folders of another user's private collection. Real folders under the test's document root.
 */
let t: TestApp;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await registerAndLogin(t.app, 'admin');
});
afterAll(async () => {
  await t?.dispose();
});

function folder(...parts: string[]): string {
  const dir = path.join(t.documentRoot, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
const addSource = (user: TestUser, collectionId: string, sourcePath: string) =>
  call(t.app, user, { method: 'POST', url: `/api/v2/collections/${collectionId}/sources`, payload: { source_path: sourcePath } });
const setRoots = (user: TestUser, roots: string[] | null) =>
  call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${user.id}`, payload: { document_roots: roots } });

async function insertDocument(collectionId: string, filePath: string) {
  return inUnitOfWork(t.testDb.database, (tx) =>
    repositoriesFor(tx).documents.insert({
      collection_id: collectionId,
      file_path: filePath,
      file_name: path.basename(filePath),
      file_size: fs.statSync(filePath).size,
      mime_type: 'text/plain',
      content_hash: uniqueName('hash'),
    }),
  );
}

describe('per-user document roots', () => {
  it('a user without roots may not add sources (403 asking for a folder); with roots, only inside them', async () => {
    const user = await registerAndLogin(t.app, 'rootless', { documentRoots: null });
    const c = await createCollectionVia(t.app, user);
    const mine = folder(uniqueName('mine'), 'docs');
    const refused = await addSource(user, c.id, mine);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/ask an administrator to grant/);

    expect((await setRoots(user, [path.dirname(mine)])).status).toBe(200);
    expect((await addSource(user, c.id, mine)).status).toBe(202);
    const elsewhere = folder(uniqueName('elsewhere'));
    expect((await addSource(user, c.id, elsewhere)).status).toBe(400);
    // A symlink inside the user's root that leads out of it is judged by its real path.
    const link = path.join(path.dirname(mine), 'to-elsewhere');
    fs.symlinkSync(elsewhere, link);
    expect((await addSource(user, c.id, link)).status).toBe(400);
    // Superusers keep the global roots.
    expect((await addSource(admin, (await createCollectionVia(t.app, admin)).id, elsewhere)).status).toBe(202);

    expect((await setRoots(user, [])).status).toBe(200);
    expect((await addSource(user, c.id, mine)).status).toBe(403);
  });

  it("files are served from inside the collection owner's roots only: revoking the folder stops downloads", async () => {
    const dir = folder(uniqueName('served'));
    const owner = await registerAndLogin(t.app, 'served', { documentRoots: [dir] });
    const c = await createCollectionVia(t.app, owner);
    const file = path.join(dir, 'note.txt');
    fs.writeFileSync(file, 'hello');
    const doc = await insertDocument(c.id, file);
    const url = `/api/v2/collections/${c.id}/documents/${doc.id}/content`;
    expect((await call(t.app, owner, { method: 'GET', url })).status).toBe(200);
    // Another folder under the global roots, not this owner's: a document pointing there is not served.
    const foreign = path.join(folder(uniqueName('foreign')), 'secret.txt');
    fs.writeFileSync(foreign, 'secret');
    const foreignDoc = await insertDocument(c.id, foreign);
    expect((await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${foreignDoc.id}/content` })).status).toBe(404);

    await setRoots(owner, []);
    expect((await call(t.app, owner, { method: 'GET', url })).status).toBe(404);
    // The admin reads through the same collection with the owner's roots, not the global ones.
    expect((await call(t.app, admin, { method: 'GET', url })).status).toBe(404);
  });
});

describe('indexing jobs', () => {
  it("scan with the collection owner's roots: after an admin revokes the folder, the next scan fails instead of reading it", async () => {
    const dir = folder(uniqueName('scanned'));
    fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha beta gamma '.repeat(20));
    const owner = await registerAndLogin(t.app, 'scanned', { documentRoots: [dir] });
    const c = await createCollectionVia(t.app, owner, { embedding_model: 'deterministic-hash-384' });
    const worker = await startWorker({ config: t.testDb.config, database: t.testDb.database, logger: silentLogger, eventBus: t.eventBus, concurrency: 1, pollIntervalMs: 50 });
    try {
      const added = await addSource(owner, c.id, dir);
      expect(added.status).toBe(202);
      expect((await waitForOperation(t.testDb.database, added.body.id))?.status).toBe('completed');
      const source = (await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).sources.listByCollection(c.id)))[0]!;

      await setRoots(owner, []);
      fs.writeFileSync(path.join(dir, 'b.txt'), 'delta epsilon '.repeat(20));
      const append = await enqueue(t.testDb.database, c.id, 'append', { source_id: source.id, source_path: source.source_path }, owner.id);
      const done = await waitForOperation(t.testDb.database, append.id);
      expect(done?.status).toBe('failed');
      expect(done?.error_message).toMatch(/outside the allowed document roots/);
      const files = await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).documents.list({ collectionId: c.id, page: 1, perPage: 10 }));
      expect(files.items.map((d) => d.file_name)).toEqual(['a.txt']);
    } finally {
      await worker.stop();
    }
  });
});

describe("another user's private collection folders", () => {
  let alice: TestUser;
  let bob: TestUser;
  let shared: string;
  let aliceCollection: { id: string; name: string };
  let aliceFolder: string;

  beforeAll(async () => {
    shared = folder(uniqueName('team'));
    alice = await registerAndLogin(t.app, 'alice', { documentRoots: [shared] });
    bob = await registerAndLogin(t.app, 'bob', { documentRoots: [shared] });
    aliceCollection = await createCollectionVia(t.app, alice, { name: uniqueName('alice-private') });
    aliceFolder = folder(path.relative(t.documentRoot, shared), 'alice', 'mail');
    fs.writeFileSync(path.join(aliceFolder, 'letter.txt'), 'dear alice');
    expect((await addSource(alice, aliceCollection.id, aliceFolder)).status).toBe(202);
  });

  it('cannot be added by someone who cannot read that collection: the folder, a child, a parent, or via a symlink', async () => {
    const mine = await createCollectionVia(t.app, bob);
    const child = folder(path.relative(t.documentRoot, aliceFolder), 'inbox');
    const link = path.join(shared, uniqueName('link'));
    fs.symlinkSync(aliceFolder, link);
    for (const attempt of [aliceFolder, child, path.dirname(aliceFolder), shared, link]) {
      const res = await addSource(bob, mine.id, attempt);
      expect(res.status, attempt).toBe(403);
      expect(res.body.detail).toMatch(/private collection you cannot read/);
      expect(res.body.detail).not.toContain(aliceCollection.name);
      expect(res.body.detail).not.toContain(alice.username);
    }
    const sources = await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).sources.listByCollection(mine.id));
    expect(sources).toEqual([]);
    // A sibling folder is fine, and so is the same folder for its owner's second collection.
    expect((await addSource(bob, mine.id, folder(path.relative(t.documentRoot, shared), 'bob'))).status).toBe(202);
    expect((await addSource(alice, (await createCollectionVia(t.app, alice)).id, child)).status).toBe(202);
  });

  it('and its files cannot be read by them; once the collection is public, its folder may be indexed again', async () => {
    const docs = await call(t.app, alice, { method: 'GET', url: `/api/v2/collections/${aliceCollection.id}/documents` });
    expect(docs.status).toBe(200);
    const doc = await insertDocument(aliceCollection.id, path.join(aliceFolder, 'letter.txt'));
    const url = `/api/v2/collections/${aliceCollection.id}/documents/${doc.id}/content`;
    expect((await call(t.app, bob, { method: 'GET', url })).status).toBe(404);
    expect((await call(t.app, alice, { method: 'GET', url })).body).toBe('dear alice');

    const notes = folder(path.relative(t.documentRoot, shared), 'alice', 'notes');
    const published = await createCollectionVia(t.app, alice);
    expect((await addSource(alice, published.id, notes)).status).toBe(202);
    const bobs = await createCollectionVia(t.app, bob);
    expect((await addSource(bob, bobs.id, notes)).status).toBe(403);
    expect((await call(t.app, alice, { method: 'PUT', url: `/api/v2/collections/${published.id}`, payload: { is_public: true } })).status).toBe(200);
    expect((await addSource(bob, bobs.id, notes)).status).toBe(202);
    // Superusers are exempt (they can read every collection anyway).
    expect((await addSource(admin, (await createCollectionVia(t.app, admin)).id, aliceFolder)).status).toBe(202);
  });
});
