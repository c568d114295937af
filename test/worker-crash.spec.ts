import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { makeTempDir, prose } from './fixtures/document-files.js';
import { enqueue, findOperation, waitFor, waitForOperation } from './fixtures/operation-helpers.js';
import { makeCollection, makeUser } from './support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from './support/test-databases.js';
import { WorkerProcesses } from './support/worker-processes.js';

/**
 * Crash safety with real processes: `semantik worker` is SIGKILLed mid-operation, another one
 * takes over when the lease (3 s here) expires, and every document ends up indexed exactly once.
 * Also: SIGTERM drains (exit 0, the operation goes back to the queue).
 */
const FILES = 300;

let t: TestDatabase;
let root: string;
let userId: number;

const workers = new WorkerProcesses(() => ({ databaseUrl: t.url, documentRoot: root }));

beforeAll(async () => {
  root = makeTempDir('semantik-crash-');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(root, `doc-${String(i).padStart(4, '0')}.md`), `# Doc ${i}\n\n${prose('harbor', 3, i + 1)}`);
  t = await createServerTestDatabase();
  userId = (await inUnitOfWork(t.database, (tx) => makeUser(repositoriesFor(tx)))).id;
});

afterAll(async () => {
  workers.killAll();
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('worker crash (SIGKILL) and drain (SIGTERM)', () => {
  it('another worker resumes a killed operation; each document is indexed exactly once', async () => {
    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const op = await enqueue(t.database, collection.id, 'index', { source_path: root }, userId);

    const first = workers.start();
    const midway = await waitFor(async () => {
      const row = await findOperation(t.database, op.id);
      return row && row.processed_files >= 20 ? row : undefined;
    }, 'the first worker to process some files', 60_000);
    first.kill('SIGKILL');
    await once(first, 'exit');

    const atKill = (await findOperation(t.database, op.id))!;
    expect(atKill.status).toBe('processing');
    expect(atKill.processed_files).toBeGreaterThanOrEqual(midway.processed_files);
    expect(atKill.processed_files).toBeLessThan(FILES);
    const committedBefore = await t.database.db
      .selectFrom('documents')
      .select(['id', 'updated_at'])
      .where('collection_id', '=', collection.id)
      .execute();
    expect(committedBefore.length).toBe(atKill.processed_files);

    const second = workers.start();
    const end = await waitForOperation(t.database, op.id, 60_000);
    expect(end, end?.error_message ?? '').toMatchObject({ status: 'completed', attempts: 2, processed_files: FILES, failed_files: 0, total_files: FILES });

    const docs = await t.database.db.selectFrom('documents').selectAll().where('collection_id', '=', collection.id).execute();
    expect(docs).toHaveLength(FILES);
    expect(docs.every((d) => d.status === 'completed')).toBe(true);
    // Documents committed before the kill were skipped by content hash, not processed again.
    const byId = new Map(docs.map((d) => [d.id, d]));
    for (const before of committedBefore) expect(byId.get(before.id)?.updated_at).toEqual(before.updated_at);

    const { rows: stats } = await sql<{ docs: number; chunks: number; positions: number; embeddings: number }>`
      SELECT count(DISTINCT k.document_id)::int AS docs,
             count(*)::int AS chunks,
             count(DISTINCT (k.document_id, k.generation, k.chunk_index))::int AS positions,
             count(e.chunk_id)::int AS embeddings
      FROM chunks k LEFT JOIN chunk_embeddings e ON e.chunk_id = k.id
      WHERE k.collection_id = ${collection.id}`.execute(t.database.db);
    const expectedChunks = docs.reduce((n, d) => n + d.chunk_count, 0);
    expect(stats[0]).toEqual({ docs: FILES, chunks: expectedChunks, positions: expectedChunks, embeddings: expectedChunks });
    const coll = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
    expect(coll).toMatchObject({ status: 'ready', document_count: FILES, vector_count: expectedChunks });

    // SIGTERM on an idle worker: a clean exit.
    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code).toBe(0);
  });

  it('SIGTERM drains: the operation goes back to pending with its attempt returned, and the process exits 0', async () => {
    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const op = await enqueue(t.database, collection.id, 'index', { source_path: root }, userId);
    const worker = workers.start();
    await waitFor(async () => ((await findOperation(t.database, op.id))?.processed_files ?? 0) >= 10, 'some progress', 60_000);
    worker.kill('SIGTERM');
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
    const row = (await findOperation(t.database, op.id))!;
    expect(row).toMatchObject({ status: 'pending', locked_by: null, attempts: 0 });
    expect(row.processed_files).toBeLessThan(FILES);
    await t.database.db.deleteFrom('operations').where('id', '=', op.id).execute();
  });
});
