import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCollection, makeUser } from '../../test/support/fixtures.js';
import { createEmbeddedTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { buildPdf, makeTempDir, prose } from '../../test/fixtures/document-files.js';
import { enqueue, silentLogger, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { createOperationEventBus } from '../operations/pg-notify-event-bus.js';
import type { OperationEvent, OperationEventBus } from '../operations/operation-events.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';

/** Embedded mode (PGlite): the same worker, polling, with in-process progress events. */
let t: TestDatabase;
let root: string;
let bus: OperationEventBus;
let worker: RunningWorker;

beforeAll(async () => {
  root = makeTempDir('semantik-embedded-');
  fs.writeFileSync(path.join(root, 'a.txt'), prose('harbor', 3, 1));
  fs.writeFileSync(path.join(root, 'b.md'), `# B\n\n${prose('engine', 3, 2)}`);
  fs.writeFileSync(path.join(root, 'c.pdf'), buildPdf(['Copper lanterns on page one.'], 'C'));
  fs.writeFileSync(path.join(root, 'empty.txt'), '');
  t = await createEmbeddedTestDatabase({ SEMANTIK_DOCUMENT_ROOTS: root });
  bus = await createOperationEventBus(t.config, t.database, silentLogger);
  worker = await startWorker({ config: t.config, database: t.database, logger: silentLogger, eventBus: bus, concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await bus?.close();
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('indexing pipeline (embedded)', () => {
  it('indexes, appends without changes, reindexes and deletes', async () => {
    const { collection, userId } = await inUnitOfWork(t.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const user = await makeUser(repos);
      return { userId: user.id, collection: await makeCollection(repos, user.id, { chunk_size: 500, chunk_overlap: 50 }) };
    });
    const events: OperationEvent[] = [];
    bus.subscribe('*', (e) => events.push(e));

    const index = await enqueue(t.database, collection.id, 'index', { source_path: root }, userId);
    expect(await waitForOperation(t.database, index.id)).toMatchObject({ status: 'completed', processed_files: 4, failed_files: 1 });
    expect(events.filter((e) => e.operation_id === index.id).at(-1)?.type).toBe('operation_completed');

    const append = await enqueue(t.database, collection.id, 'append', { source_path: root }, userId);
    expect(await waitForOperation(t.database, append.id)).toMatchObject({ status: 'completed', processed_files: 0 });

    const reindex = await enqueue(t.database, collection.id, 'reindex', { chunk_size: 200, chunk_overlap: 20 }, userId);
    expect(await waitForOperation(t.database, reindex.id)).toMatchObject({ status: 'completed' });
    const coll = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
    expect(coll).toMatchObject({ active_generation: 2, chunk_size: 200, document_count: 3, status: 'degraded' });

    const del = await enqueue(t.database, collection.id, 'delete', {}, userId);
    expect(await waitForOperation(t.database, del.id)).toBeUndefined();
    const left = await t.database.db.selectFrom('chunks').select('id').where('collection_id', '=', collection.id).execute();
    expect(left).toHaveLength(0);
  });
});
