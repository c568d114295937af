import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { makeTempDir, prose } from '../fixtures/document-files.js';
import { enqueue, waitForOperation } from '../fixtures/operation-helpers.js';
import { makeCollection, makeUser } from '../support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../support/test-databases.js';
import { spawnWorker, type WorkerProcess } from './reliability-support.js';

/**
 * Real permission errors on a source (EACCES from the kernel, not a simulated one): a `semantik
 * worker` process that file modes apply to — setpriv drops root's override capabilities when the
 * suite runs as root — indexes a folder holding a mode-000 file and a mode-000 subfolder. The
 * unreadable file must become one failed document naming EACCES, the locked folder must be listed
 * in the scan metadata without stopping the scan, and the operation must complete with every
 * readable file indexed. Then an indexed subfolder loses its permissions and the source is scanned
 * again: its documents must be kept, not removed as vanished.
 */
const GOOD = 6;

let t: TestDatabase;
let root: string;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  root = makeTempDir('semantik-permissions-');
  t = await createServerTestDatabase();
});

afterAll(async () => {
  await worker?.stop(2_000);
  await t?.dispose();
  if (root) {
    // Give modes back so the temp folder can be removed by a non-root run as well.
    for (const locked of ['locked.md', 'locked-folder', 'later-locked']) fs.chmodSync(path.join(root, 'source', locked), 0o700);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

describe('source files the worker may not read', () => {
  it('a mode-000 file becomes a failed document (EACCES), a mode-000 folder is listed and passed over, and a folder that later turns unreadable keeps its documents', async () => {
    const folder = path.join(root, 'source');
    fs.mkdirSync(folder);
    for (let i = 0; i < GOOD; i++) fs.writeFileSync(path.join(folder, `good-${i}.md`), `# Good ${i}\n\n${prose('meadow', 2, i + 1)}`);
    fs.writeFileSync(path.join(folder, 'locked.md'), `# Locked\n\n${prose('meadow', 2, 50)}`);
    fs.mkdirSync(path.join(folder, 'locked-folder'));
    fs.writeFileSync(path.join(folder, 'locked-folder', 'inside.md'), `# Inside\n\n${prose('meadow', 2, 51)}`);
    fs.mkdirSync(path.join(folder, 'later-locked'));
    for (const name of ['one.md', 'two.md']) fs.writeFileSync(path.join(folder, 'later-locked', name), `# ${name}\n\n${prose('harvest', 2, name.length)}`);
    fs.chmodSync(path.join(folder, 'locked.md'), 0o000);
    fs.chmodSync(path.join(folder, 'locked-folder'), 0o000);

    const userId = (await inUnitOfWork(t.database, (tx) => makeUser(repositoriesFor(tx)))).id;
    const collection = await inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId, { chunk_size: 400, chunk_overlap: 50 }));
    const op = await enqueue(t.database, collection.id, 'index', { source_path: folder }, userId);
    worker = spawnWorker({ DATABASE_URL: t.url!, SEMANTIK_DOCUMENT_ROOTS: root }, ['--concurrency', '1'], { respectFileModes: true });
    await worker.ready;

    const end = await waitForOperation(t.database, op.id, 30_000);
    expect(end, `${end?.error_message ?? ''}\n${worker.stderr()}`).toMatchObject({ status: 'completed', failed_files: 1 });

    const docs = await t.database.db
      .selectFrom('documents')
      .select(['file_path', 'status', 'error_message', 'chunk_count'])
      .where('collection_id', '=', collection.id)
      .execute();
    const byName = Object.fromEntries(docs.map((d) => [path.relative(folder, d.file_path), d]));
    expect(byName['locked.md']).toMatchObject({ status: 'failed', chunk_count: 0, error_message: expect.stringMatching(/EACCES/) });
    const indexed = docs.filter((d) => d.status === 'completed').map((d) => path.relative(folder, d.file_path)).sort();
    expect(indexed).toEqual([...Array.from({ length: GOOD }, (_, i) => `good-${i}.md`), 'later-locked/one.md', 'later-locked/two.md']);
    expect(docs.every((d) => d.status !== 'completed' || d.chunk_count > 0)).toBe(true);
    expect(end!.metadata).toMatchObject({
      scan: { unreadable_folders_count: 1, unreadable_folders: [{ path: path.join(folder, 'locked-folder'), reason: 'cannot list folder: EACCES' }] },
    });

    // The same source scanned again after an indexed folder became unreadable: nothing removed.
    fs.chmodSync(path.join(folder, 'later-locked'), 0o000);
    const append = await enqueue(t.database, collection.id, 'append', { source_path: folder }, userId);
    const appended = await waitForOperation(t.database, append.id, 30_000);
    expect(appended, appended?.error_message ?? '').toMatchObject({ status: 'completed' });
    expect(appended!.metadata).toMatchObject({ scan: { vanished_documents: 0, unreadable_folders_count: 2 } });
    const after = await t.database.db.selectFrom('documents').select(['file_path', 'status']).where('collection_id', '=', collection.id).execute();
    expect(after.filter((d) => d.status === 'completed').map((d) => path.relative(folder, d.file_path)).sort()).toEqual(indexed);
    const settled = await inUnitOfWork(t.database, (tx) => repositoriesFor(tx).collections.getById(collection.id));
    expect(settled.status_message).toMatch(/2 folder\(s\) could not be read/);
  });
});
