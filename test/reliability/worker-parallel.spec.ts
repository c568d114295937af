import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { prose } from '../fixtures/document-files.js';
import { waitForOperation } from '../fixtures/operation-helpers.js';
import { spawnWorker, type WorkerProcess } from './reliability-support.js';

/**
 * Two `semantik worker` processes index 4 collections × 260 small files (1,040 documents) at the
 * same time. A collection has one active operation and an operation runs in one worker, so four
 * collections give both workers work at once. Proves: every file becomes exactly one document with
 * exactly one set of chunks and embeddings, each operation ran once (attempts = 1), and the two
 * workers really overlapped (both seen holding an operation at the same moment).
 */
const COLLECTIONS = 4;
const FILES_PER_COLLECTION = 260;

let t: TestApp;
let user: TestUser;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestApp();
  user = await registerAndLogin(t.app, 'parallel');
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2_000)));
  await t?.dispose();
});

describe('two worker processes in parallel', () => {
  it('index 1,040 documents across 4 collections: none lost, none processed twice', async () => {
    const folders: string[] = [];
    for (let c = 0; c < COLLECTIONS; c++) {
      const folder = path.join(t.documentRoot, `set-${c}`);
      fs.mkdirSync(folder);
      for (let i = 0; i < FILES_PER_COLLECTION; i++) {
        // Unique content per file (the seed), so every file is its own document.
        fs.writeFileSync(path.join(folder, `note-${String(i).padStart(4, '0')}.md`), `# Note ${c}-${i}\n\n${prose(`topic${c}`, 2, c * 10_000 + i + 1)}`);
      }
      folders.push(folder);
    }

    const env = { DATABASE_URL: t.testDb.url!, SEMANTIK_DOCUMENT_ROOTS: t.documentRoot, SEMANTIK_JOB_LEASE_SECONDS: '30' };
    workers.push(spawnWorker(env), spawnWorker(env));
    await Promise.all(workers.map((w) => w.ready));

    const operationIds: string[] = [];
    const collectionIds: string[] = [];
    for (const folder of folders) {
      const collection = await createCollectionVia(t.app, user, { embedding_model: 'deterministic-hash-384', chunk_size: 400, chunk_overlap: 50 });
      const res = await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${collection.id}/sources`, payload: { source_path: folder } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      collectionIds.push(collection.id);
      operationIds.push(res.body.id);
    }

    // Sample who holds what until all four are done: both workers must be seen working at once.
    let maxSimultaneousWorkers = 0;
    const holders = new Set<string>();
    const db = t.testDb.database.db;
    for (;;) {
      const rows = await db.selectFrom('operations').select(['status', 'locked_by']).where('id', 'in', operationIds).execute();
      const busy = new Set(rows.filter((r) => r.status === 'processing' && r.locked_by).map((r) => r.locked_by!));
      busy.forEach((h) => holders.add(h));
      maxSimultaneousWorkers = Math.max(maxSimultaneousWorkers, busy.size);
      if (rows.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status))) break;
      await sleep(20);
    }
    for (const id of operationIds) {
      const end = await waitForOperation(t.testDb.database, id, 1_000);
      expect(end, end?.error_message ?? '').toMatchObject({
        status: 'completed',
        attempts: 1,
        total_files: FILES_PER_COLLECTION,
        processed_files: FILES_PER_COLLECTION,
        failed_files: 0,
      });
    }
    expect(maxSimultaneousWorkers).toBe(2);
    expect(holders.size).toBe(2);

    // Every file is one completed document, written once (an upsert a second time moves updated_at).
    const docs = await db
      .selectFrom('documents')
      .select(['collection_id', 'file_path', 'status', 'chunk_count', 'created_at', 'updated_at'])
      .where('collection_id', 'in', collectionIds)
      .execute();
    expect(docs).toHaveLength(COLLECTIONS * FILES_PER_COLLECTION);
    expect(docs.filter((d) => d.status !== 'completed')).toEqual([]);
    expect(docs.filter((d) => d.updated_at.getTime() !== d.created_at.getTime())).toEqual([]);
    const expectedPaths = folders.flatMap((folder) => fs.readdirSync(folder).map((name) => path.join(folder, name))).sort();
    expect(docs.map((d) => d.file_path).sort()).toEqual(expectedPaths);

    // Exactly one set of chunks per document: no duplicate positions, one embedding per chunk.
    const { rows: stats } = await sql<{ documents: number; chunks: number; positions: number; embeddings: number }>`
      SELECT count(DISTINCT k.document_id)::int AS documents, count(*)::int AS chunks,
             count(DISTINCT (k.document_id, k.generation, k.chunk_index))::int AS positions,
             count(e.chunk_id)::int AS embeddings
      FROM chunks k LEFT JOIN chunk_embeddings e ON e.chunk_id = k.id
      WHERE k.collection_id IN (${sql.join(collectionIds)})`.execute(db);
    const expectedChunks = docs.reduce((n, d) => n + d.chunk_count, 0);
    expect(expectedChunks).toBeGreaterThanOrEqual(docs.length);
    expect(stats[0]).toEqual({ documents: docs.length, chunks: expectedChunks, positions: expectedChunks, embeddings: expectedChunks });

    // Each operation's own metrics count its collection's files once.
    const { rows: metricRows } = await sql<{ operation_id: string; documents: number }>`
      SELECT operation_id, sum(metric_value)::int AS documents FROM operation_metrics
      WHERE operation_id IN (${sql.join(operationIds)}) AND metric_name = 'documents' GROUP BY operation_id`.execute(db);
    expect(Object.fromEntries(metricRows.map((r) => [r.operation_id, r.documents]))).toEqual(Object.fromEntries(operationIds.map((id) => [id, FILES_PER_COLLECTION])));

    const collections = await db.selectFrom('collections').select(['status', 'document_count']).where('id', 'in', collectionIds).execute();
    expect(collections).toEqual(collectionIds.map(() => ({ status: 'ready', document_count: FILES_PER_COLLECTION })));

    // Both drain and exit cleanly (no connection or timer keeps them alive).
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);
  });
});
