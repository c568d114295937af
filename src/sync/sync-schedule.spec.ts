import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, waitFor, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { prose } from '../../test/fixtures/document-files.js';
import { uniqueName } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { startWorker } from '../worker/worker.js';
import { claimDueSync } from './source-sync.service.js';

/** Per-source sync schedules: set over HTTP, claimed by workers with SKIP LOCKED, never twice. */
let t: TestApp;
let owner: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  await registerAndLogin(t.app, 'admin');
  owner = await registerAndLogin(t.app, 'owner');
});
afterAll(async () => {
  await t?.dispose();
});

const db = () => t.testDb.database;

function folder(): string {
  const dir = path.join(t.documentRoot, uniqueName('sched'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.txt'), prose('harbor', 2, 1));
  return dir;
}

/** A collection with one source whose operation is finished (marked, no worker needed). */
async function collectionWithSource(body: Record<string, unknown> = {}) {
  const c = await createCollectionVia(t.app, owner, { embedding_model: 'deterministic-hash-384' });
  const added = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: folder(), ...body } });
  expect(added.status, JSON.stringify(added.body)).toBe(202);
  await inUnitOfWork(db(), (tx) => repositoriesFor(tx).operations.markStatus(added.body.id, 'completed', { completed_at: new Date() }));
  const detail = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}` });
  return { collectionId: c.id, source: detail.body.sources[0] };
}

async function makeDue(sourceId: number) {
  await sql`UPDATE collection_sources SET next_sync_at = now() - interval '1 minute' WHERE id = ${sourceId}`.execute(db().db);
}

async function syncOperations(collectionId: string) {
  return inUnitOfWork(db(), (tx) => tx.selectFrom('operations').selectAll().where('collection_id', '=', collectionId).where('type', '=', 'sync').execute());
}

describe('sync schedules', () => {
  it('are set when a source is added or by PATCH, and shown in the collection JSON', async () => {
    const { collectionId, source } = await collectionWithSource({ sync_interval_minutes: 30 });
    expect(source).toMatchObject({ sync_interval_minutes: 30, watch: false });
    const next = Date.parse(source.next_sync_at);
    expect(next).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(next).toBeLessThan(Date.now() + 31 * 60_000);

    const patched = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${source.id}`, payload: { sync_interval_minutes: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ sync_interval_minutes: null, next_sync_at: null });
    const bad = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${source.id}`, payload: { sync_interval_minutes: 0 } });
    expect(bad.status).toBe(422);
    const empty = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${source.id}`, payload: {} });
    expect(empty.status).toBe(422);
    const elsewhere = await collectionWithSource();
    const wrong = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${elsewhere.source.id}`, payload: { watch: true } });
    expect(wrong.status).toBe(404);
  });

  it('four workers claiming at once enqueue each due schedule exactly once, and move it one interval on', async () => {
    const due = [];
    for (let i = 0; i < 12; i++) due.push(await collectionWithSource({ sync_interval_minutes: 60 }));
    for (const { source } of due) await makeDue(source.id);

    const claimer = async () => {
      let n = 0;
      while (await inUnitOfWork(db(), (tx) => claimDueSync(tx, repositoriesFor(tx)))) n++;
      return n;
    };
    const claimed = await Promise.all([claimer(), claimer(), claimer(), claimer()]);
    expect(claimed.reduce((a, b) => a + b, 0)).toBe(due.length);
    expect(await inUnitOfWork(db(), (tx) => claimDueSync(tx, repositoriesFor(tx)))).toBeUndefined();
    for (const { collectionId, source } of due) {
      const ops = await syncOperations(collectionId);
      expect(ops).toHaveLength(1);
      expect(ops[0]!.config).toMatchObject({ source_id: source.id, reason: 'schedule' });
      const row = await inUnitOfWork(db(), (tx) => repositoriesFor(tx).sources.findById(source.id));
      // Counted from the due time (1 minute ago) + 60 minutes: 59 minutes from now.
      expect(row!.next_sync_at!.getTime()).toBeGreaterThan(Date.now() + 58 * 60_000);
      expect(row!.next_sync_at!.getTime()).toBeLessThan(Date.now() + 60 * 60_000);
    }
  });

  it('a schedule due while its collection is busy waits a minute instead of failing or doubling', async () => {
    const { collectionId, source } = await collectionWithSource({ sync_interval_minutes: 60 });
    const busy = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${collectionId}/sync` });
    expect(busy.status).toBe(202);
    await makeDue(source.id);
    const claimed = await inUnitOfWork(db(), (tx) => claimDueSync(tx, repositoriesFor(tx)));
    expect(claimed).toMatchObject({ sourceId: source.id, operationId: null });
    expect(await syncOperations(collectionId)).toHaveLength(1);
    const row = await inUnitOfWork(db(), (tx) => repositoriesFor(tx).sources.findById(source.id));
    expect(row!.next_sync_at!.getTime()).toBeGreaterThan(Date.now());
    await inUnitOfWork(db(), (tx) => repositoriesFor(tx).operations.markStatus(busy.body.id, 'cancelled', { completed_at: new Date() }));
  });

  it('a running worker turns a due schedule into a completed sync without anyone asking', async () => {
    const { collectionId, source } = await collectionWithSource({ sync_interval_minutes: 60 });
    fs.writeFileSync(path.join(source.source_path, 'new.txt'), prose('orchard', 2, 2));
    await makeDue(source.id);
    const worker = await startWorker({ config: t.testDb.config, database: db(), logger: silentLogger, eventBus: t.eventBus, concurrency: 1, pollIntervalMs: 50 });
    try {
      const op = await waitFor(async () => (await syncOperations(collectionId))[0], 'a scheduled sync');
      const done = await waitForOperation(db(), op.id);
      expect(done?.status, done?.error_message ?? '').toBe('completed');
      expect(done!.metadata['result']).toMatchObject({ added: 2 });
    } finally {
      await worker.stop();
    }
  });

  it('a watched folder picks up a new file without a manual action (one debounced sync for a burst)', async () => {
    const { collectionId, source } = await collectionWithSource();
    const patched = await call(t.app, owner, { method: 'PATCH', url: `/api/v2/collections/${collectionId}/sources/${source.id}`, payload: { watch: true } });
    expect(patched.body).toMatchObject({ watch: true, sync_interval_minutes: null });
    const watching = new Set<number>();
    const worker = await startWorker({
      config: t.testDb.config,
      database: db(),
      logger: silentLogger,
      eventBus: t.eventBus,
      concurrency: 1,
      pollIntervalMs: 50,
      watchSources: { debounceMs: 300, refreshMs: 100, onWatching: (id) => watching.add(id) },
    });
    try {
      await waitFor(async () => watching.has(source.id), 'the watcher to be ready');
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(source.source_path, `burst-${i}.txt`), prose(`burst${i}`, 1, 3 + i));
      const op = await waitFor(async () => (await syncOperations(collectionId))[0], 'a sync enqueued by the watcher');
      expect(op.config).toMatchObject({ source_id: source.id, reason: 'watch' });
      const done = await waitForOperation(db(), op.id);
      expect(done?.status, done?.error_message ?? '').toBe('completed');
      const docs = await inUnitOfWork(db(), (tx) => repositoriesFor(tx).documents.listFingerprints(collectionId), { readOnly: true });
      expect(docs.map((d) => path.basename(d.file_path)).sort()).toEqual(['a.txt', 'burst-0.txt', 'burst-1.txt', 'burst-2.txt', 'burst-3.txt', 'burst-4.txt']);
      expect(await syncOperations(collectionId)).toHaveLength(1);
      const row = await inUnitOfWork(db(), (tx) => repositoriesFor(tx).sources.findById(source.id));
      expect(row!.next_sync_at).toBeNull();
    } finally {
      await worker.stop();
    }
  });
});
