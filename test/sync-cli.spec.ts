import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { makeTempDir } from './fixtures/document-files.js';
import { makeCollection, makeUser } from './support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from './support/test-databases.js';

/** `semantik sync <collection-id> [--source PATH]` enqueues a sync operation (a worker runs it). */
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'semantik.js');
const run = promisify(execFile);
let t: TestDatabase;
let root: string;

beforeAll(async () => {
  root = makeTempDir('semantik-sync-cli-');
  fs.writeFileSync(path.join(root, 'a.txt'), 'hello');
  t = await createServerTestDatabase();
});
afterAll(async () => {
  await t?.dispose();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: t.url, SEMANTIK_DOCUMENT_ROOTS: root, SEMANTIK_FROM_SOURCE: '1', LOG_LEVEL: 'warn' } });

describe('semantik sync', () => {
  it('queues a sync of one source or of all, and names a source the collection does not have', async () => {
    const { collection, source } = await inUnitOfWork(t.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const user = await makeUser(repos);
      const collection = await makeCollection(repos, user.id);
      return { collection, source: await repos.sources.upsert({ collection_id: collection.id, source_path: root, config: {} }) };
    });
    const one = await cli('sync', collection.id, '--source', root);
    expect(one.stdout).toMatch(/^sync operation [0-9a-f-]{36} queued/);
    const ops = await t.database.db.selectFrom('operations').selectAll().where('collection_id', '=', collection.id).execute();
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ type: 'sync', status: 'pending', config: { source_id: source.id, reason: 'manual' } });

    const busy = await cli('sync', collection.id).catch((err: { code: number; stderr: string }) => err);
    expect(busy).toMatchObject({ code: 1, stderr: expect.stringContaining('already has an active sync operation') });
    await t.database.db.updateTable('operations').set({ status: 'completed' }).where('id', '=', ops[0]!.id).execute();

    const missing = await cli('sync', collection.id, '--source', '/nowhere').catch((err: { code: number; stderr: string }) => err);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('has no source /nowhere') });
  });
});
