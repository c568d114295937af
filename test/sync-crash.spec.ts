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
 * A sync is crash-safe like append: `semantik worker` is SIGKILLed mid-sync, another one resumes
 * when the 3 s lease expires, and every file ends with exactly one document holding its new text.
 */
const FILES = 200;
const CHANGED = 150;

let t: TestDatabase;
let root: string;
let userId: number;

const workers = new WorkerProcesses(() => ({ databaseUrl: t.url, documentRoot: root }));

const file = (i: number) => path.join(root, `doc-${String(i).padStart(4, '0')}.md`);

beforeAll(async () => {
  root = makeTempDir('semantik-sync-crash-');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(file(i), `# Doc ${i}\n\n${prose('harbor', 2, i + 1)}`);
  t = await createServerTestDatabase();
  userId = (await inUnitOfWork(t.database, (tx) => makeUser(repositoriesFor(tx)))).id;
});

afterAll(async () => {
  workers.killAll();
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('sync after a worker crash', () => {
  it('resumes a killed sync; each changed file is re-indexed exactly once, unchanged ones are untouched', async () => {
    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const first = workers.start();
    const index = await enqueue(t.database, collection.id, 'index', { source_path: root }, userId);
    expect((await waitForOperation(t.database, index.id, 90_000))?.status).toBe('completed');
    const before = await t.database.db.selectFrom('documents').select(['id', 'file_path', 'updated_at']).where('collection_id', '=', collection.id).execute();
    expect(before).toHaveLength(FILES);

    for (let i = 0; i < CHANGED; i++) fs.writeFileSync(file(i), `# Doc ${i}\n\nrevised ${i} ${prose('velvet', 2, i + 1)}`);
    const op = await enqueue(t.database, collection.id, 'sync', {}, userId);
    await waitFor(async () => ((await findOperation(t.database, op.id))?.processed_files ?? 0) >= 20, 'the sync to commit some files', 60_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = (await findOperation(t.database, op.id))!;
    expect(atKill.status).toBe('processing');
    expect(atKill.processed_files).toBeLessThan(CHANGED);

    workers.start();
    const end = await waitForOperation(t.database, op.id, 90_000);
    expect(end, end?.error_message ?? '').toMatchObject({ status: 'completed', attempts: 2 });

    const docs = await t.database.db.selectFrom('documents').selectAll().where('collection_id', '=', collection.id).execute();
    expect(docs).toHaveLength(FILES);
    expect(new Set(docs.map((d) => d.file_path)).size).toBe(FILES);
    const unchangedBefore = new Map(before.filter((d) => Number(/doc-(\d+)/.exec(d.file_path)![1]) >= CHANGED).map((d) => [d.id, d.updated_at]));
    for (const d of docs) if (unchangedBefore.has(d.id)) expect(d.updated_at).toEqual(unchangedBefore.get(d.id));
    const { rows } = await sql<{ revised: number; chunks: number; positions: number; embeddings: number }>`
      SELECT count(DISTINCT k.document_id) FILTER (WHERE k.text LIKE '%revised%')::int AS revised,
             count(*)::int AS chunks,
             count(DISTINCT (k.document_id, k.generation, k.chunk_index))::int AS positions,
             count(e.chunk_id)::int AS embeddings
      FROM chunks k LEFT JOIN chunk_embeddings e ON e.chunk_id = k.id
      WHERE k.collection_id = ${collection.id}`.execute(t.database.db);
    const expected = docs.reduce((n, d) => n + d.chunk_count, 0);
    expect(rows[0]).toEqual({ revised: CHANGED, chunks: expected, positions: expected, embeddings: expected });
  });
});
