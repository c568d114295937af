import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCollection, makeUser } from '../../test/support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import { inUnitOfWork, type Tx } from '../db/unit-of-work.js';
import { ValidationError } from '../errors/domain-errors.js';
import { enqueueOperation } from './operation.service.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createServerTestDatabase();
});

afterAll(async () => {
  await t?.dispose();
});

/**
 * Never called: the payload type comes from the registry's schema for the job type, so these
 * wrong payloads are compile errors (`npm run typecheck` fails if one of them compiles).
 */
export function wrongPayloadsDoNotCompile(tx: Tx, repos: Repositories): void {
  const base = { collectionId: 'c', userId: null };
  // @ts-expect-error an index needs source_path
  void enqueueOperation(tx, repos, { ...base, type: 'index', config: {} });
  // @ts-expect-error a reindex reads no `reason` (what `semantik reindex` used to send)
  void enqueueOperation(tx, repos, { ...base, type: 'reindex', config: { reason: 'needs_reindex' } });
  // @ts-expect-error chunk_size is a number
  void enqueueOperation(tx, repos, { ...base, type: 'reindex', config: { chunk_size: '200' } });
  // @ts-expect-error sync reasons are an enum
  void enqueueOperation(tx, repos, { ...base, type: 'sync', config: { reason: 'cron' } });
  void enqueueOperation(tx, repos, { ...base, type: 'sync', config: { reason: 'watch' } });
}

describe('enqueueOperation', () => {
  it('parses the payload with the job type schema: a wrong one is a ValidationError and nothing is queued', async () => {
    const { collection, userId } = await inUnitOfWork(t.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const user = await makeUser(repos);
      return { collection: await makeCollection(repos, user.id), userId: user.id };
    });
    const enqueue = (config: unknown) =>
      inUnitOfWork(t.database, (tx) => enqueueOperation(tx, repositoriesFor(tx), { collectionId: collection.id, userId, type: 'reindex', config: config as never }));
    const refused = await enqueue({ chunk_size: -1 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).details).toMatchObject({ field: 'chunk_size', operation_type: 'reindex' });
    await expect(enqueue({ source_paths: ['/x'] })).rejects.toThrow(/Unknown field\(s\) for a reindex operation: source_paths/);
    expect(await t.database.db.selectFrom('operations').select('id').where('collection_id', '=', collection.id).execute()).toEqual([]);

    const queued = await enqueue({ chunk_size: 300 });
    expect(queued).toMatchObject({ type: 'reindex', status: 'pending', config: { chunk_size: 300 } });
  });
});
