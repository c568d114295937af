import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForOperation, silentLogger } from '../../test/fixtures/operation-helpers.js';
import { prose } from '../../test/fixtures/document-files.js';
import { uniqueName } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { EmbeddingProviderCache } from '../indexing/embedding-provider.cache.js';
import type { EmbeddingProvider } from '../ingest/index.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';

/**
 * Sync over HTTP against real folders and the real server: a worker with the deterministic hash
 * embedder behind a counter, so "not embedded again" is a number, not a timing.
 */
class CountingEmbedders extends EmbeddingProviderCache {
  texts = 0;
  override get(model: string): EmbeddingProvider {
    const inner = super.get(model);
    return {
      model: inner.model,
      dimension: inner.dimension,
      embed: async (texts: string[]) => {
        this.texts += texts.length;
        return inner.embed(texts);
      },
      close: () => inner.close(),
    } as EmbeddingProvider;
  }
}

let t: TestApp;
let owner: TestUser;
let reader: TestUser;
let worker: RunningWorker;
const embedders = new CountingEmbedders();

beforeAll(async () => {
  t = await createTestApp();
  await registerAndLogin(t.app, 'admin');
  owner = await registerAndLogin(t.app, 'owner');
  reader = await registerAndLogin(t.app, 'reader');
  worker = await startWorker({ config: t.testDb.config, database: t.testDb.database, logger: silentLogger, eventBus: t.eventBus, concurrency: 1, pollIntervalMs: 50, embedders });
});
afterAll(async () => {
  await worker?.stop();
  await embedders.closeAll();
  await t?.dispose();
});

const db = () => t.testDb.database;

function write(file: string, content: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Keeps size and mtime of a file as they were (the stat shortcut's inputs). */
function setMtime(file: string, when: Date) {
  fs.utimesSync(file, when, when);
}

async function finished(operationId: string) {
  const done = await waitForOperation(db(), operationId);
  expect(done?.status, done?.error_message ?? '').toBe('completed');
  const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/operations/${operationId}` });
  expect(res.status).toBe(200);
  return { row: done!, json: res.body };
}

async function sync(collectionId: string, body?: Record<string, unknown>) {
  const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync`, ...(body ? { payload: body } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.type).toBe('sync');
  return finished(res.body.id);
}

async function documentPaths(collectionId: string): Promise<string[]> {
  const docs = await inUnitOfWork(db(), (tx) => repositoriesFor(tx).documents.listFingerprints(collectionId), { readOnly: true });
  return docs.map((d) => path.basename(d.file_path)).sort();
}

async function searchHits(collectionId: string, query: string): Promise<string[]> {
  const res = await call(t.app, owner, { method: 'POST', url: '/api/v2/search', payload: { query, collection_uuids: [collectionId], k: 10, search_type: 'keyword' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return [...new Set((res.body.results as { file_name: string }[]).map((r) => r.file_name))];
}

/** A collection over a new folder, indexed once; chunk_size 300 so a file has several chunks. */
async function indexedFolder(files: Record<string, string>) {
  const dir = path.join(t.documentRoot, uniqueName('sync'));
  for (const [name, content] of Object.entries(files)) write(path.join(dir, name), content);
  const c = await createCollectionVia(t.app, owner, { chunk_size: 300, chunk_overlap: 0, embedding_model: 'deterministic-hash-384' });
  const added = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: dir } });
  expect(added.status).toBe(202);
  await finished(added.body.id);
  return { dir, collectionId: c.id };
}

describe('POST /api/v2/collections/{id}/sync', () => {
  it('with nothing changed reads no file and embeds nothing', async () => {
    const { collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 3, 1), 'b.md': `# B\n\n${prose('winter', 3, 2)}` });
    const before = embedders.texts;
    const { row, json } = await sync(collectionId);
    expect(json.result).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 2, moved: 0, failed: 0, missing_sources: [] });
    expect(Object.values(row.metadata).find((v) => (v as { hashed_files?: number }).hashed_files !== undefined)).toMatchObject({ hashed_files: 0 });
    expect(embedders.texts - before).toBe(0);
  });

  it('indexes added files, re-indexes a modified one (re-embedding only its changed chunks), removes deleted ones', async () => {
    const keep = prose('copper', 4, 3);
    const { dir, collectionId } = await indexedFolder({ 'keep.txt': prose('lantern', 2, 4), 'edit.txt': `${keep}\n\nThe tail paragraph talks about marble.`, 'gone.txt': prose('glacier', 2, 5) });
    write(path.join(dir, 'new.txt'), prose('orchard', 2, 6));
    write(path.join(dir, 'edit.txt'), `${keep}\n\nThe tail paragraph now talks about velvet instead.`);
    fs.rmSync(path.join(dir, 'gone.txt'));
    const chunksOf = (name: string) =>
      inUnitOfWork(db(), async (tx) => {
        const docs = await repositoriesFor(tx).documents.listFingerprints(collectionId);
        return (await tx.selectFrom('chunks').select('id').where('document_id', '=', docs.find((d) => d.file_path.endsWith(name))!.id).execute()).length;
      });
    const chunksOfEdit = await chunksOf('edit.txt');
    expect(chunksOfEdit).toBeGreaterThan(2);
    const before = embedders.texts;

    const { json } = await sync(collectionId);
    expect(json.result).toMatchObject({ added: 1, changed: 1, removed: 1, unchanged: 1, failed: 0 });
    expect(await documentPaths(collectionId)).toEqual(['edit.txt', 'keep.txt', 'new.txt']);
    expect(await searchHits(collectionId, 'velvet')).toEqual(['edit.txt']);
    expect(await searchHits(collectionId, 'marble')).toEqual([]);
    expect(await searchHits(collectionId, 'glacier')).toEqual([]);
    // new.txt's chunks plus edit.txt's changed tail: the unchanged copper chunks reuse their vectors.
    const embedded = embedders.texts - before;
    const newChunks = await chunksOf('new.txt');
    expect(await chunksOf('edit.txt')).toBe(chunksOfEdit);
    // At least one edit.txt chunk (the tail) is new; all the others are copied.
    expect(embedded).toBeGreaterThanOrEqual(newChunks + 1);
    expect(embedded).toBeLessThanOrEqual(newChunks + 2);
  });

  it('a renamed file and a touched file keep their index: nothing embedded', async () => {
    const { dir, collectionId } = await indexedFolder({ 'old-name.txt': prose('meadow', 3, 7), 'touched.txt': prose('canyon', 2, 8) });
    fs.renameSync(path.join(dir, 'old-name.txt'), path.join(dir, 'new-name.txt'));
    setMtime(path.join(dir, 'touched.txt'), new Date(Date.now() + 60_000));
    const before = embedders.texts;
    const { row, json } = await sync(collectionId);
    expect(json.result).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 2, moved: 1 });
    // The renamed file has no document at its new path yet and the touched one has a new mtime: both read, neither embedded.
    expect((row.metadata as Record<string, { hashed_files?: number }>)[Object.keys(row.metadata).find((k) => k.startsWith('scan_source_'))!]!.hashed_files).toBe(2);
    expect(embedders.texts - before).toBe(0);
    expect(await documentPaths(collectionId)).toEqual(['new-name.txt', 'touched.txt']);
    expect(await searchHits(collectionId, 'meadow')).toEqual(['new-name.txt']);
    // Both documents now carry the new path and mtime: the next sync opens no file.
    const again = await sync(collectionId);
    expect(again.json.result).toMatchObject({ unchanged: 2, moved: 0 });
    expect((again.row.metadata as Record<string, { hashed_files?: number }>)[Object.keys(again.row.metadata).find((k) => k.startsWith('scan_source_'))!]!.hashed_files).toBe(0);
  });

  it('a file that became unreadable (a dangling symlink in its place) fails alone, with its reason; the rest syncs', async () => {
    // Tests run as root, so chmod cannot make a file unreadable; a broken symlink is what the scanner cannot read either.
    const { dir, collectionId } = await indexedFolder({ 'fine.txt': prose('pebble', 2, 11), 'broken.txt': prose('thistle', 2, 12) });
    fs.rmSync(path.join(dir, 'broken.txt'));
    fs.symlinkSync(path.join(dir, 'no-such-target.txt'), path.join(dir, 'broken.txt'));
    write(path.join(dir, 'added.txt'), prose('saffron', 2, 13));
    const { json } = await sync(collectionId);
    expect(json.result).toMatchObject({ added: 1, failed: 1, unchanged: 1 });
    expect(json.result.failed_files).toEqual([{ path: path.join(dir, 'broken.txt'), reason: expect.stringMatching(/broken symlink|cannot read/) }]);
    const docs = await inUnitOfWork(db(), (tx) => tx.selectFrom('documents').select(['file_name', 'status', 'error_message']).where('collection_id', '=', collectionId).orderBy('file_name').execute());
    expect(docs.map((d) => [d.file_name, d.status])).toEqual([['added.txt', 'completed'], ['broken.txt', 'failed'], ['fine.txt', 'completed']]);
    expect(await searchHits(collectionId, 'saffron')).toEqual(['added.txt']);
    expect(await searchHits(collectionId, 'pebble')).toEqual(['fine.txt']);
  });

  it('removes files a changed exclude pattern now leaves out (PATCH the source, then sync)', async () => {
    const { collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 2, 9), 'draft.md': prose('pepper', 2, 10) });
    const detail = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${collectionId}` });
    const sourceId = detail.body.sources[0].id;
    const patched = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${sourceId}`, payload: { config: { exclude: ['*.md'] } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const { json } = await sync(collectionId, { source_path: detail.body.sources[0].source_path });
    expect(json.result).toMatchObject({ removed: 1, unchanged: 1 });
    expect(await documentPaths(collectionId)).toEqual(['a.txt']);
    expect(await searchHits(collectionId, 'pepper')).toEqual([]);
  });

  it('a source folder that vanished entirely removes nothing: completed, collection degraded with the reason', async () => {
    const { dir, collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 2, 11), 'b.txt': prose('thistle', 2, 12) });
    fs.rmSync(dir, { recursive: true, force: true });
    const { json } = await sync(collectionId);
    expect(json.result).toMatchObject({ removed: 0, missing_sources: [dir] });
    expect(await documentPaths(collectionId)).toEqual(['a.txt', 'b.txt']);
    expect(await searchHits(collectionId, 'thistle')).toEqual(['b.txt']);
    const collection = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${collectionId}` });
    expect(collection.body.status).toBe('degraded');
    expect(collection.body.status_message).toContain(`source folder ${dir} was not found; its documents were kept`);
  });

  it('an emptied folder (an unmounted disk leaves its mount point) keeps its documents too', async () => {
    const { dir, collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 2, 13) });
    fs.rmSync(path.join(dir, 'a.txt'));
    const { json } = await sync(collectionId);
    expect(json.result).toMatchObject({ removed: 0, missing_sources: [dir] });
    expect(await documentPaths(collectionId)).toEqual(['a.txt']);
  });

  it('answers 409 while an operation is active, 404 for an unknown source, 403/404 without write access', async () => {
    const { dir, collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 2, 14) });
    await worker.stop();
    try {
      const first = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync` });
      expect(first.status).toBe(202);
      const second = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync`, payload: { source_path: dir } });
      expect(second.status).toBe(409);
      await inUnitOfWork(db(), (tx) => repositoriesFor(tx).operations.markStatus(first.body.id, 'cancelled', { completed_at: new Date() }));
    } finally {
      worker = await startWorker({ config: t.testDb.config, database: db(), logger: silentLogger, eventBus: t.eventBus, concurrency: 1, pollIntervalMs: 50, embedders });
    }
    const unknown = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync`, payload: { source_path: path.join(t.documentRoot, 'nope') } });
    expect(unknown.status).toBe(404);
    const stranger = await call(t.app, reader, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync` });
    expect([403, 404]).toContain(stranger.status);
  });
});

describe('embedding reuse', () => {
  it('a reindex with the same model and chunking embeds nothing', async () => {
    const { collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 4, 15), 'b.md': `# Title\n\n## Part\n\n${prose('winter', 4, 16)}` });
    const before = embedders.texts;
    const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/reindex` });
    expect(res.status).toBe(202);
    await finished(res.body.id);
    expect(embedders.texts - before).toBe(0);
    expect(await searchHits(collectionId, 'winter')).toEqual(['b.md']);
  });

  it('a reindex with a new chunk size embeds the new chunks', async () => {
    const { collectionId } = await indexedFolder({ 'a.txt': prose('harbor', 4, 17) });
    const before = embedders.texts;
    const res = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/reindex`, payload: { chunk_size: 700 } });
    await finished(res.body.id);
    expect(embedders.texts - before).toBeGreaterThan(0);
  });
});
