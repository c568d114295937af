import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { InProcessOperationEventBus } from '../../src/operations/operation-events.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { makeTempDir, prose } from '../fixtures/document-files.js';
import { enqueue, silentLogger, waitFor, waitForOperation } from '../fixtures/operation-helpers.js';
import { makeCollection, makeUser } from '../support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../support/test-databases.js';

/**
 * Read errors on source files, as the pipeline really meets them. Permission errors cannot be
 * made with chmod as root, and a full disk does not affect reading; what the pipeline does meet is
 * a file that changed between the scan and the read. The test makes that window deterministic:
 * it holds an uncommitted `documents` row with the first file's content hash, so the worker's
 * first batch blocks on the unique index *after* the scan; the test then deletes one file and
 * replaces another with a directory (read → EISDIR, the same open/read path an EACCES takes), and
 * releases the worker. Also in the folder from the start: a dangling symlink, a FIFO, and a
 * directory named like a file. Each bad file must become one failed document with its reason
 * (or be skipped, for the FIFO) and the operation must complete with the good files indexed.
 */
const GOOD = 10;

let t: TestDatabase;
let root: string;
let userId: number;
let worker: RunningWorker | undefined;
const eventBus = new InProcessOperationEventBus();
const savedBatchEnv = process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;

beforeAll(async () => {
  root = makeTempDir('semantik-read-errors-');
  t = await createServerTestDatabase({ SEMANTIK_DOCUMENT_ROOTS: root });
  userId = (await inUnitOfWork(t.database, (tx) => makeUser(repositoriesFor(tx)))).id;
  // One document per batch, so the gate on the first file holds the worker before any other read.
  process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = '1';
});

afterAll(async () => {
  await worker?.stop();
  await eventBus.close();
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  if (savedBatchEnv === undefined) delete process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;
  else process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = savedBatchEnv;
});

/**
 * The worker starts only once the operation is queued and the gate is held: enqueueing locks the
 * collection row FOR UPDATE, which would wait on the gate's foreign-key lock on that row.
 */
async function startTestWorker(): Promise<void> {
  worker ??= await startWorker({ config: t.config, database: t.database, logger: silentLogger, eventBus, concurrency: 1, pollIntervalMs: 50 });
}

/** Opens a transaction holding an uncommitted document with `contentHash`: inserts of it wait. */
async function holdGate(collectionId: string, contentHash: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: t.url, application_name: 'reliability-gate' });
  await client.connect();
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO documents (collection_id, file_path, file_name, content_hash) VALUES ($1, '/gate', 'gate', $2)`,
    [collectionId, contentHash],
  );
  return client;
}

async function workerWaitsOnLock(): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'semantik' AND wait_event_type = 'Lock'`.execute(t.database.db);
  return rows[0]!.n > 0;
}

describe('source files that cannot be read', () => {
  it('dangling symlink, FIFO, folder named x.md, file deleted or turned into a folder after the scan: failed documents, operation completes', async () => {
    const folder = path.join(root, 'mixed');
    fs.mkdirSync(folder);
    for (let i = 0; i < GOOD; i++) fs.writeFileSync(path.join(folder, `a-${String(i).padStart(3, '0')}.md`), `# Good ${i}\n\n${prose('copper', 2, i + 1)}`);
    fs.writeFileSync(path.join(folder, 'becomes-dir.md'), `# Soon a folder\n\n${prose('winter', 2, 101)}`);
    fs.writeFileSync(path.join(folder, 'vanishes.md'), `# Soon gone\n\n${prose('winter', 2, 102)}`);
    fs.symlinkSync(path.join(folder, 'no-such-target.md'), path.join(folder, 'dangling.md'));
    execFileSync('mkfifo', [path.join(folder, 'pipe.md')]);
    fs.mkdirSync(path.join(folder, 'folder.md'));
    fs.writeFileSync(path.join(folder, 'folder.md', 'inner.md'), `# Inner\n\n${prose('garden', 2, 103)}`);

    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const firstHash = createHash('sha256').update(fs.readFileSync(path.join(folder, 'a-000.md'))).digest('hex');
    const op = await enqueue(t.database, collection.id, 'index', { source_path: folder }, userId);
    const gate = await holdGate(collection.id, firstHash);
    try {
      await startTestWorker();
      await waitFor(() => workerWaitsOnLock(), 'the worker to block on the gate after the scan', 20_000);
      const scanned = await t.database.db.selectFrom('operations').select(['metadata', 'total_files']).where('id', '=', op.id).executeTakeFirstOrThrow();
      // Scanned: 10 good + becomes-dir + vanishes + dangling + folder.md/inner.md; the FIFO is skipped.
      expect(scanned.total_files).toBe(GOOD + 4);

      fs.rmSync(path.join(folder, 'vanishes.md'));
      fs.rmSync(path.join(folder, 'becomes-dir.md'));
      fs.mkdirSync(path.join(folder, 'becomes-dir.md'));
      await gate.query('ROLLBACK');

      const end = await waitForOperation(t.database, op.id, 30_000);
      expect(end, end?.error_message ?? '').toMatchObject({ status: 'completed', total_files: GOOD + 4, processed_files: GOOD + 4, failed_files: 3 });
    } finally {
      await gate.end().catch(() => {});
    }

    const docs = await t.database.db
      .selectFrom('documents')
      .select(['file_path', 'status', 'error_message', 'chunk_count'])
      .where('collection_id', '=', collection.id)
      .orderBy('file_path')
      .execute();
    const byName = Object.fromEntries(docs.map((d) => [path.relative(folder, d.file_path), d]));
    expect(Object.keys(byName).sort()).toEqual(
      [...Array.from({ length: GOOD }, (_, i) => `a-${String(i).padStart(3, '0')}.md`), 'becomes-dir.md', 'dangling.md', 'folder.md/inner.md', 'vanishes.md'].sort(),
    );
    expect(byName['dangling.md']).toMatchObject({ status: 'failed', chunk_count: 0, error_message: expect.stringMatching(/broken symlink \(ENOENT\)/) });
    expect(byName['vanishes.md']).toMatchObject({ status: 'failed', chunk_count: 0, error_message: expect.stringMatching(/cannot read file: ENOENT/) });
    expect(byName['becomes-dir.md']).toMatchObject({ status: 'failed', chunk_count: 0, error_message: expect.stringMatching(/cannot read file: EISDIR/) });
    expect(byName['folder.md/inner.md']).toMatchObject({ status: 'completed' });
    const good = docs.filter((d) => d.status === 'completed');
    expect(good).toHaveLength(GOOD + 1);
    expect(good.every((d) => d.chunk_count > 0)).toBe(true);
    const coll = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
    expect(coll.status).not.toBe('error');
  });

  /**
   * Regression: a file replaced by a FIFO between the scan and the read used to block the worker
   * for ever (open(2) of a FIFO waits for a writer). readBounded in
   * src/ingest/extract/document.extractor.ts now opens with O_NONBLOCK and refuses non-regular files.
   */
  it('a file replaced by a FIFO after the scan fails that document instead of blocking the worker', async () => {
    const folder = path.join(root, 'fifo-race');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'a-first.md'), `# First\n\n${prose('signal', 2, 201)}`);
    fs.writeFileSync(path.join(folder, 'b-becomes-fifo.md'), `# Soon a pipe\n\n${prose('signal', 2, 202)}`);
    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const op = await enqueue(t.database, collection.id, 'index', { source_path: folder }, userId);
    const gate = await holdGate(collection.id, createHash('sha256').update(fs.readFileSync(path.join(folder, 'a-first.md'))).digest('hex'));
    const fifo = path.join(folder, 'b-becomes-fifo.md');
    let end;
    try {
      await startTestWorker();
      await waitFor(() => workerWaitsOnLock(), 'the worker to block on the gate after the scan', 20_000);
      fs.rmSync(fifo);
      execFileSync('mkfifo', [fifo]);
      await gate.query('ROLLBACK');
      end = await waitForOperation(t.database, op.id, 10_000).catch(() => undefined);
    } finally {
      await gate.end().catch(() => {});
      // Unblock a worker stuck in open(2) so the suite can shut down either way.
      if (!end) {
        const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        fs.closeSync(fd);
        await sleep(100);
      }
    }
    expect(end, 'the worker blocked opening a FIFO').toMatchObject({ status: 'completed', failed_files: 1 });
  });
});
