import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { makeCollection, makeUser } from '../../test/support/fixtures.js';
import { binaryJunk, buildDocx, buildPdf, makeTempDir, prose } from '../../test/fixtures/document-files.js';
import { enqueue, findOperation, silentLogger, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { repositoriesFor } from '../db/repositories.js';
import type { CollectionRow, OperationRow } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { hashEmbed } from '../ingest/embedding/hash.embedder.js';
import { toVectorLiteral } from '../chunks/chunk.repository.js';
import { cancelOperation } from '../operations/operation.service.js';
import { InProcessOperationEventBus, type OperationEvent } from '../operations/operation-events.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { termStatsDrift } from '../../test/support/term-stats.js';

/**
 * The whole life of a collection against the real server, with the fast test embedder: index a
 * folder of mixed formats and bad files, append (new / modified / deleted / unchanged), reindex
 * blue/green while searching, remove a source, delete the collection.
 */
let t: TestDatabase;
let root: string;
let docs: string;
let other: string;
let worker: RunningWorker;
const events: OperationEvent[] = [];
const bus = new InProcessOperationEventBus();
let collection: CollectionRow;
let userId: number;

const MAX_FILE_BYTES = 50 * 1024;

function write(file: string, content: string | Buffer) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

beforeAll(async () => {
  root = makeTempDir('semantik-indexing-');
  docs = path.join(root, 'docs');
  other = path.join(root, 'other');
  write(path.join(docs, 'notes.txt'), prose('harbor', 3, 1));
  write(path.join(docs, 'guide.md'), `# Install Guide\n\n${prose('engine', 3, 2)}\n\n## Configure\n\n${prose('signal', 4, 3)}\n`);
  write(path.join(docs, 'page.html'), `<html><head><title>Garden Tips</title></head><body><h1>Garden</h1><p>${prose('garden', 2, 4)}</p></body></html>`);
  write(path.join(docs, 'report.pdf'), buildPdf(['Page one talks about copper lanterns.', 'Page two talks about winter rivers.'], 'Lantern Report'));
  write(path.join(docs, 'report.docx'), buildDocx('Quarterly Report', 'Revenue grew in every mountain region this quarter.'));
  write(path.join(docs, 'sub', 'nested.md'), `# Nested\n\n${prose('mountain', 2, 5)}`);
  write(path.join(docs, '.hidden', 'secret.txt'), 'never indexed');
  // Bad files: each becomes a failed document and the operation goes on.
  write(path.join(docs, 'corrupt.pdf'), Buffer.from('%PDF-1.4\n1 0 obj garbage that is not a pdf\n'));
  write(path.join(docs, 'junk.bin'), binaryJunk());
  write(path.join(docs, 'empty.txt'), '');
  write(path.join(docs, 'big.txt'), 'x '.repeat(MAX_FILE_BYTES));
  fs.symlinkSync(path.join(docs, 'missing-target.txt'), path.join(docs, 'broken.txt'));
  // Escapes the document roots: refused, never read.
  fs.symlinkSync('/etc/hostname', path.join(docs, 'escape.txt'));
  write(path.join(other, 'a.txt'), prose('river', 2, 6));
  write(path.join(other, 'b.md'), `# B\n\n${prose('winter', 2, 7)}`);

  t = await createServerTestDatabase({
    SEMANTIK_DOCUMENT_ROOTS: root,
    SEMANTIK_MAX_FILE_SIZE_MB: String(MAX_FILE_BYTES / (1024 * 1024)),
    SEMANTIK_JOB_LEASE_SECONDS: '3',
  });
  bus.subscribe('*', (event) => events.push(event));
  worker = await startWorker({ config: t.config, database: t.database, logger: silentLogger, eventBus: bus, concurrency: 1, pollIntervalMs: 100 });
  ({ collection, userId } = await inUnitOfWork(t.database, async (tx) => {
    const repos = repositoriesFor(tx);
    const user = await makeUser(repos);
    return { userId: user.id, collection: await makeCollection(repos, user.id, { chunk_size: 600, chunk_overlap: 100 }) };
  }));
});

afterAll(async () => {
  await worker?.stop();
  await bus.close();
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function run(type: OperationRow['type'], config: Record<string, unknown> = {}): Promise<OperationRow> {
  const op = await enqueue(t.database, collection.id, type, config, userId);
  const done = await waitForOperation(t.database, op.id);
  expect(done?.status, done?.error_message ?? '').toBe('completed');
  return done!;
}

async function documents() {
  return t.database.db.selectFrom('documents').selectAll().where('collection_id', '=', collection.id).orderBy('file_path').execute();
}

async function collectionRow() {
  return inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
}

/** Nearest neighbours over the collection's active generation: what "search keeps answering" means here. */
async function nearest(query: string, k = 3) {
  const vector = toVectorLiteral(hashEmbed(query, 384));
  const { rows } = await sql<{ file_name: string; generation: number; distance: number }>`
    SELECT d.file_name, k.generation, (e.embedding::vector(384) <=> ${vector}::vector(384)) AS distance
    FROM chunks k
    JOIN collections c ON c.id = k.collection_id AND k.generation = c.active_generation
    JOIN chunk_embeddings e ON e.chunk_id = k.id
    JOIN documents d ON d.id = k.document_id
    WHERE k.collection_id = ${collection.id} AND e.dimension = 384
    ORDER BY distance LIMIT ${k}`.execute(t.database.db);
  return rows;
}

describe('indexing pipeline (server)', () => {
  it('indexes a folder of mixed formats; bad files fail with a reason and the operation completes', async () => {
    const op = await run('index', { source_path: docs });
    const rows = await documents();
    const byName = new Map(rows.map((d) => [d.file_name, d]));
    expect([...byName.keys()].sort()).toEqual(
      ['big.txt', 'broken.txt', 'corrupt.pdf', 'empty.txt', 'guide.md', 'junk.bin', 'nested.md', 'notes.txt', 'page.html', 'report.docx', 'report.pdf'].sort(),
    );
    for (const name of ['notes.txt', 'guide.md', 'page.html', 'report.pdf', 'report.docx', 'nested.md']) {
      expect(byName.get(name)?.status, `${name}: ${byName.get(name)?.error_message}`).toBe('completed');
      expect(byName.get(name)!.chunk_count).toBeGreaterThan(0);
    }
    expect(byName.get('empty.txt')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^empty/) });
    expect(byName.get('big.txt')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^too_large/) });
    expect(byName.get('junk.bin')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/binary/) });
    expect(byName.get('corrupt.pdf')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/corrupt|pdf/i) });
    expect(byName.get('broken.txt')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/cannot read/) });

    // 11 documents + 1 refused symlink; 6 failures in all.
    expect(op).toMatchObject({ total_files: 12, processed_files: 12, failed_files: 6 });
    expect((op.metadata['scan'] as { refused: { path: string }[] }).refused.map((r) => path.basename(r.path))).toEqual(['escape.txt']);

    // Chunk metadata: offsets slice the document, PDF chunks carry pages, markdown carries headings.
    const pdfChunks = await t.database.db.selectFrom('chunks').selectAll().where('document_id', '=', byName.get('report.pdf')!.id).orderBy('chunk_index').execute();
    expect(pdfChunks[0]!.page).toBe(1);
    const guideChunks = await t.database.db.selectFrom('chunks').selectAll().where('document_id', '=', byName.get('guide.md')!.id).orderBy('chunk_index').execute();
    expect(guideChunks.length).toBeGreaterThan(1);
    expect(guideChunks.every((c) => c.text.length <= 600 && c.start_offset! < c.end_offset!)).toBe(true);
    expect(guideChunks.some((c) => (c.metadata['heading_path'] as string[]).includes('Configure'))).toBe(true);

    const coll = await collectionRow();
    const chunkCount = await t.database.db.selectFrom('chunks').select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', '=', collection.id).executeTakeFirstOrThrow();
    expect(coll).toMatchObject({ status: 'degraded', document_count: 6, vector_count: Number(chunkCount.n), embedding_dimension: 384 });
    expect(coll.status_message).toMatch(/5 of 11 documents could not be indexed.*1 file\(s\) refused/);
    expect(coll.total_size_bytes).toBeGreaterThan(0);

    const mine = events.filter((e) => e.operation_id === op.id).map((e) => e.type);
    expect(mine[0]).toBe('operation_started');
    expect(mine.at(-1)).toBe('operation_completed');
    expect(mine).toContain('progress');
    const sources = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).sources.listByCollection(collection.id));
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({ source_path: docs, document_count: 6 });
    expect(sources[0]!.last_indexed_at).not.toBeNull();
    expect((await nearest('copper lanterns'))[0]!.file_name).toBe('report.pdf');
    // BM25 statistics are kept by triggers in the same statements: exact after every operation.
    expect(await termStatsDrift(t.database.db)).toEqual([]);
  });

  it('append processes only what changed: new, modified and deleted files', async () => {
    const before = new Map((await documents()).map((d) => [d.file_name, d]));
    write(path.join(docs, 'new.txt'), prose('lantern', 2, 11));
    write(path.join(docs, 'notes.txt'), prose('harbor', 3, 1) + '\n\nA new closing paragraph about copper.');
    fs.rmSync(path.join(docs, 'page.html'));

    const op = await run('append', { source_path: docs });
    expect(op).toMatchObject({ total_files: 2, processed_files: 2, failed_files: 0 });
    expect(op.metadata['scan']).toMatchObject({ files_to_process: 2, vanished_documents: 1, refused_count: 1 });

    const after = new Map((await documents()).map((d) => [d.file_name, d]));
    expect(after.has('page.html')).toBe(false);
    expect(after.get('new.txt')?.status).toBe('completed');
    // The modified file is a new document (new content hash); the old version and its chunks are gone.
    expect(after.get('notes.txt')!.content_hash).not.toBe(before.get('notes.txt')!.content_hash);
    const orphanChunks = await t.database.db.selectFrom('chunks').select('id').where('document_id', '=', before.get('notes.txt')!.id).execute();
    expect(orphanChunks).toHaveLength(0);
    // Unchanged documents were not touched.
    expect(after.get('guide.md')!.updated_at).toEqual(before.get('guide.md')!.updated_at);
    expect((await collectionRow()).document_count).toBe(6);

    const again = await run('append', { source_path: docs });
    expect(again).toMatchObject({ total_files: 0, processed_files: 0, failed_files: 0 });
    expect(again.metadata['scan']).toMatchObject({ files_to_process: 0, vanished_documents: 0, unchanged_files: 11 });
    // BM25 statistics are kept by triggers in the same statements: exact after every operation.
    expect(await termStatsDrift(t.database.db)).toEqual([]);
  });

  it('reindexes blue/green with a new chunk size while searches keep answering', async () => {
    const oldChunks = await t.database.db.selectFrom('chunks').select('id').where('collection_id', '=', collection.id).execute();
    process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = '1'; // many small batches: a longer window to search in
    const answers: { rows: number; generations: number[]; duringOperation: boolean }[] = [];
    try {
      const op = await enqueue(t.database, collection.id, 'reindex', { chunk_size: 250, chunk_overlap: 50 }, userId);
      let finished: OperationRow | undefined;
      while (!finished) {
        const current = await findOperation(t.database, op.id);
        const rows = await nearest('mountain engine', 5);
        answers.push({ rows: rows.length, generations: [...new Set(rows.map((r) => r.generation))], duringOperation: current?.status === 'processing' });
        if (current && current.status !== 'pending' && current.status !== 'processing') finished = current;
      }
      expect(finished.status, finished.error_message ?? '').toBe('completed');
    } finally {
      delete process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;
    }
    expect(answers.some((a) => a.duringOperation)).toBe(true);
    for (const answer of answers) {
      expect(answer.rows).toBe(5);
      expect(answer.generations).toHaveLength(1); // never a mix of old and new index
    }
    const coll = await collectionRow();
    expect(coll).toMatchObject({ active_generation: 2, chunk_size: 250, chunk_overlap: 50, status: 'degraded', document_count: 6 });
    const generations = await t.database.db.selectFrom('chunks').select('generation').distinct().where('collection_id', '=', collection.id).execute();
    expect(generations.map((g) => g.generation)).toEqual([2]);
    const newChunks = await t.database.db.selectFrom('chunks').select(['id', 'text']).where('collection_id', '=', collection.id).execute();
    expect(newChunks.length).toBeGreaterThan(oldChunks.length);
    expect(newChunks.every((c) => c.text.length <= 250)).toBe(true);
    expect(coll.vector_count).toBe(newChunks.length);
    const rows = await documents();
    for (const d of rows.filter((r) => r.status === 'completed')) {
      const n = await t.database.db.selectFrom('chunks').select((eb) => eb.fn.countAll<number>().as('n')).where('document_id', '=', d.id).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(d.chunk_count);
    }
    expect(rows.filter((r) => r.status === 'failed')).toHaveLength(5);
    // BM25 statistics are kept by triggers in the same statements: exact after every operation.
    expect(await termStatsDrift(t.database.db)).toEqual([]);
  });

  it('removes a source and keeps the other', async () => {
    await run('append', { source_path: other });
    expect((await collectionRow()).document_count).toBe(8);
    const op = await run('remove_source', { source_path: docs });
    expect(op.processed_files).toBe(11);
    const rows = await documents();
    expect(rows.map((d) => d.file_name).sort()).toEqual(['a.txt', 'b.md']);
    const sources = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).sources.listByCollection(collection.id));
    expect(sources.map((s) => s.source_path)).toEqual([other]);
    const coll = await collectionRow();
    expect(coll).toMatchObject({ status: 'ready', document_count: 2, status_message: null });
    expect((await nearest('river winter')).every((r) => ['a.txt', 'b.md'].includes(r.file_name))).toBe(true);
    // BM25 statistics are kept by triggers in the same statements: exact after every operation.
    expect(await termStatsDrift(t.database.db)).toEqual([]);
  });

  it('deletes the collection and every row under it', async () => {
    const op = await enqueue(t.database, collection.id, 'delete', {}, userId);
    const done = await waitForOperation(t.database, op.id);
    expect(done).toBeUndefined(); // the operation row went with the collection
    const mine = events.filter((e) => e.operation_id === op.id).map((e) => e.type);
    expect([mine[0], mine.at(-1)]).toEqual(['operation_started', 'operation_completed']);
    for (const table of ['collections', 'collection_sources', 'documents', 'chunks', 'chunk_embeddings', 'operations'] as const) {
      const column = table === 'collections' ? 'id' : 'collection_id';
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ${collection.id}`.execute(t.database.db);
      expect(rows[0]!.n, table).toBe(0);
    }
    // BM25 statistics are kept by triggers in the same statements: exact after every operation.
    expect(await termStatsDrift(t.database.db)).toEqual([]);
  });

  it('stops a cancelled operation at the next batch boundary, leaving whole documents', async () => {
    const many = path.join(root, 'many');
    for (let i = 0; i < 120; i++) write(path.join(many, `f${String(i).padStart(3, '0')}.txt`), prose('topic', 1, 100 + i));
    const target = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId));
    process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = '1';
    try {
      const op = await enqueue(t.database, target.id, 'index', { source_path: many }, userId);
      const cancelled = new Promise<void>((resolve, reject) => {
        const off = bus.subscribe(op.id, (event) => {
          if (event.type === 'progress' && (event.data.progress?.processed_files ?? 0) >= 3) {
            off();
            inUnitOfWork(t.database, (tx) => cancelOperation(repositoriesFor(tx), op.id)).then(() => resolve(), reject);
          }
        });
      });
      await cancelled;
      const end = await waitForOperation(t.database, op.id);
      expect(end?.status).toBe('cancelled');
      await expect.poll(() => events.some((e) => e.operation_id === op.id && e.type === 'operation_cancelled')).toBe(true);
      const stopped = (await findOperation(t.database, op.id))!;
      expect(stopped.processed_files).toBeLessThan(120);
      expect(stopped.locked_by).toBeNull();
      const rows = await t.database.db.selectFrom('documents').selectAll().where('collection_id', '=', target.id).execute();
      expect(rows.length).toBe(stopped.processed_files);
      expect(rows.every((d) => d.status === 'completed' && d.chunk_count > 0)).toBe(true);
      const coll = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(target.id));
      expect(coll.status).toBe('ready');
      expect(coll.document_count).toBe(rows.length);
    } finally {
      delete process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;
    }
  });

  it('refuses a source outside the document roots, failing the operation with the fix', async () => {
    const target = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId));
    const op = await enqueue(t.database, target.id, 'index', { source_path: '/etc' }, userId);
    const end = await waitForOperation(t.database, op.id);
    expect(end).toMatchObject({ status: 'failed', attempts: 1 });
    expect(end!.error_message).toMatch(/outside the allowed document roots.*SEMANTIK_DOCUMENT_ROOTS/);
    // The collection is updated right after the operation row (its own transaction).
    await expect.poll(async () => (await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(target.id))).status).toBe('error');
  });
});
