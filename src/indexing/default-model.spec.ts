import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { makeTempDir } from '../../test/fixtures/document-files.js';
import { enqueue, silentLogger, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { toVectorLiteral } from '../chunks/chunk.repository.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../ingest/index.js';
import { InProcessOperationEventBus } from '../operations/operation-events.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';

/** One small run with the real default model (USE-lite, 512-d): the vectors land and mean something. */
let t: TestDatabase;
let root: string;
let worker: RunningWorker;
const bus = new InProcessOperationEventBus();

beforeAll(async () => {
  root = makeTempDir('semantik-use-');
  fs.writeFileSync(path.join(root, 'bread.md'), '# Baking bread\n\nMix flour, water, salt and yeast. Knead the dough, let it rise, then bake it in a hot oven until the crust is golden.');
  fs.writeFileSync(path.join(root, 'bikes.txt'), 'To fix a flat bicycle tyre, remove the wheel, find the puncture in the inner tube and patch it.');
  fs.writeFileSync(path.join(root, 'taxes.txt'), 'File your income tax return before the deadline and keep receipts for deductible expenses.');
  process.env.SEMANTIK_EMBED_THREADS = '1';
  t = await createServerTestDatabase({ SEMANTIK_DOCUMENT_ROOTS: root });
  worker = await startWorker({ config: t.config, database: t.database, logger: silentLogger, eventBus: bus, concurrency: 1, pollIntervalMs: 100 });
});

afterAll(async () => {
  await worker?.stop();
  await bus.close();
  await t?.dispose();
  delete process.env.SEMANTIK_EMBED_THREADS;
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`indexing with the default model (${DEFAULT_EMBEDDING_MODEL})`, () => {
  it('stores 512-d vectors that rank the matching document first', async () => {
    const { collection, userId } = await inUnitOfWork(t.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const user = await makeUser(repos);
      const created = await repos.collections.insert({
        name: 'use-lite',
        owner_id: user.id,
        vector_store_name: 'vs_use_lite',
        embedding_model: DEFAULT_EMBEDDING_MODEL,
        embedding_dimension: null,
      });
      return { collection: created, userId: user.id };
    });
    const op = await enqueue(t.database, collection.id, 'index', { source_path: root }, userId);
    const end = await waitForOperation(t.database, op.id, 120_000);
    expect(end, end?.error_message ?? '').toMatchObject({ status: 'completed', processed_files: 3, failed_files: 0 });

    const coll = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
    expect(coll).toMatchObject({ embedding_dimension: 512, document_count: 3, vector_count: 3, status: 'ready' });

    const embedder = createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { threads: 1 });
    try {
      const [query] = await embedder.embed(['how do I make a loaf of bread?']);
      const { rows } = await sql<{ file_name: string; model: string }>`
        SELECT d.file_name, e.model FROM chunk_embeddings e
        JOIN chunks k ON k.id = e.chunk_id JOIN documents d ON d.id = k.document_id
        WHERE e.collection_id = ${collection.id} AND e.dimension = 512
        ORDER BY e.embedding::vector(512) <=> ${toVectorLiteral(query!)}::vector(512) LIMIT 3`.execute(t.database.db);
      expect(rows.map((r) => r.file_name)[0]).toBe('bread.md');
      expect(rows.every((r) => r.model === DEFAULT_EMBEDDING_MODEL)).toBe(true);
    } finally {
      await embedder.close();
    }
  });
});
