import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../errors/domain-errors.js';
import { makeCollection, makeDocument, makeUser, unitVector } from '../../test/support/fixtures.js';
import { BACKENDS, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor, type Repositories } from './repositories.js';
import { inUnitOfWork } from './unit-of-work.js';
import { COPY_THRESHOLD_ROWS } from '../chunks/chunk.repository.js';

// The same repository suite runs against the real PostgreSQL server and against embedded PGlite.
describe.each(BACKENDS)('repositories on $name', ({ create }) => {
  let handle: TestDatabase;
  const run = <T>(work: (repos: Repositories) => Promise<T>) => inUnitOfWork(handle.database, (tx) => work(repositoriesFor(tx)));

  beforeAll(async () => {
    handle = await create();
  });
  afterAll(async () => {
    await handle?.dispose();
  });

  it('users: insert, find case-insensitively, duplicate username is AlreadyExists', async () => {
    const user = await run((r) => makeUser(r, { username: 'Alice-Repo' }));
    expect(user.id).toBeTypeOf('number');
    expect(user.is_active).toBe(true);
    expect(user.created_at).toBeInstanceOf(Date);
    const found = await run((r) => r.users.findByUsername('alice-repo'));
    expect(found?.id).toBe(user.id);
    await expect(run((r) => makeUser(r, { username: 'ALICE-REPO' }))).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(run((r) => r.users.getById(987654))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refresh tokens and api keys round-trip and revoke', async () => {
    const user = await run((r) => makeUser(r));
    const token = await run((r) => r.refreshTokens.insert({ user_id: user.id, token_hash: `h-${user.id}`, expires_at: new Date(Date.now() + 60_000) }));
    const locked = await run((r) => r.refreshTokens.lockByHash(`h-${user.id}`));
    expect(locked?.id).toBe(token.id);
    expect(await run((r) => r.refreshTokens.revokeAllForUser(user.id))).toBe(1);
    expect((await run((r) => r.refreshTokens.lockByHash(`h-${user.id}`)))?.is_revoked).toBe(true);

    // A session is alive while one of its rows is unrevoked and unexpired; rotation shares the id.
    const first = await run((r) => r.refreshTokens.insert({ user_id: user.id, token_hash: `s1-${user.id}`, expires_at: new Date(Date.now() + 60_000) }));
    expect(first.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const sessionOf = (sessionId: string) => run((r) => r.users.findByIdWithSession(user.id, sessionId));
    expect((await sessionOf(first.session_id))).toMatchObject({ id: user.id, session_alive: true });
    await run(async (r) => {
      await r.refreshTokens.revoke(first.id);
      await r.refreshTokens.insert({ user_id: user.id, token_hash: `s2-${user.id}`, expires_at: new Date(Date.now() + 60_000), session_id: first.session_id });
    });
    expect((await sessionOf(first.session_id))?.session_alive).toBe(true);
    expect(await run((r) => r.refreshTokens.revokeSession(user.id, first.session_id))).toBe(1);
    expect((await sessionOf(first.session_id))?.session_alive).toBe(false);
    expect((await sessionOf('00000000-0000-4000-8000-000000000000'))?.session_alive).toBe(false);

    const key = await run((r) =>
      r.apiKeys.insert({ user_id: user.id, name: 'ci', key_hash: `k-${user.id}`, key_prefix: 'smk_abcd', expires_at: null, permissions: { scope: ['read'] } }),
    );
    expect(key.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(key.permissions).toEqual({ scope: ['read'] });
    expect(await run((r) => r.apiKeys.deactivate(key.id, user.id + 1))).toBe(false);
    expect(await run((r) => r.apiKeys.deactivate(key.id, user.id))).toBe(true);
    expect((await run((r) => r.apiKeys.findByHash(`k-${user.id}`)))?.is_active).toBe(false);
  });

  it('collections: list shows own and public ones, paginates, sorts by an allow-listed field only', async () => {
    const owner = await run((r) => makeUser(r));
    const other = await run((r) => makeUser(r));
    const prefix = `sortcheck-${owner.id}`;
    await run(async (r) => {
      await makeCollection(r, owner.id, { name: `${prefix}-b` });
      await makeCollection(r, owner.id, { name: `${prefix}-a` });
      await makeCollection(r, other.id, { name: `${prefix}-public`, is_public: true });
      await makeCollection(r, other.id, { name: `${prefix}-private` });
    });
    const page = await run((r) => r.collections.list({ page: 1, perPage: 10, visibleToUserId: owner.id, search: prefix, sortBy: 'name', sortOrder: 'asc' }));
    expect(page.items.map((c) => c.name)).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-public`]);
    expect(page.total).toBe(3);
    const second = await run((r) => r.collections.list({ page: 2, perPage: 2, visibleToUserId: owner.id, search: prefix, sortBy: 'name', sortOrder: 'asc' }));
    expect(second.items.map((c) => c.name)).toEqual([`${prefix}-public`]);
    // A hostile sort field falls back to created_at instead of reaching SQL.
    const hostile = await run((r) => r.collections.list({ page: 1, perPage: 10, search: prefix, sortBy: 'name;drop table users' }));
    expect(hostile.total).toBe(4);
    const users = await run((r) => r.users.count());
    expect(users).toBeGreaterThan(0);
    // LIKE wildcards in the search text are literal.
    expect((await run((r) => r.collections.list({ page: 1, perPage: 10, search: '%' }))).total).toBe(0);
  });

  it('collections: duplicate name → AlreadyExists; overlap ≥ size → Validation', async () => {
    const owner = await run((r) => makeUser(r));
    const first = await run((r) => makeCollection(r, owner.id));
    await expect(run((r) => makeCollection(r, owner.id, { name: first.name }))).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(run((r) => makeCollection(r, owner.id, { chunk_size: 100, chunk_overlap: 100 }))).rejects.toBeInstanceOf(ValidationError);
    const updated = await run((r) => r.collections.update(first.id, { description: 'new', metadata: JSON.stringify({ a: { b: [1, 2] } }) }));
    expect(updated.description).toBe('new');
    expect(updated.metadata).toEqual({ a: { b: [1, 2] } });
    await expect(run((r) => r.collections.getById('00000000-0000-0000-0000-000000000000'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sources, permissions, limits and audit log hang off a collection and vanish with it', async () => {
    const owner = await run((r) => makeUser(r));
    const reader = await run((r) => makeUser(r));
    const collection = await run((r) => makeCollection(r, owner.id));
    const source = await run((r) => r.sources.upsert({ collection_id: collection.id, source_path: '/data/a', config: { recursive: true } }));
    const again = await run((r) => r.sources.upsert({ collection_id: collection.id, source_path: '/data/a', config: { recursive: false } }));
    expect(again.id).toBe(source.id);
    expect(again.config).toEqual({ recursive: false });
    await run((r) => r.permissions.upsertForUser(collection.id, reader.id, 'read'));
    await run((r) => r.permissions.upsertForUser(collection.id, reader.id, 'write'));
    expect((await run((r) => r.permissions.findForUser(collection.id, reader.id)))?.permission).toBe('write');
    await run((r) => r.resourceLimits.upsert(collection.id, { max_documents: 10, max_storage_gb: 1.5 }));
    expect((await run((r) => r.resourceLimits.findByCollection(collection.id)))?.max_storage_gb).toBe(1.5);
    await run((r) => r.auditLog.insert({ collection_id: collection.id, action: 'created', user_id: owner.id, details: { note: 'ünïcode ✓' } }));
    const log = await run((r) => r.auditLog.listByCollection(collection.id, { page: 1, perPage: 10 }));
    expect(log.items[0]?.details).toEqual({ note: 'ünïcode ✓' });

    await run((r) => r.collections.delete(collection.id));
    const leftovers = await inUnitOfWork(handle.database, async (tx) => {
      const counts = await sql<{ n: number }>`
        SELECT (SELECT count(*) FROM collection_sources WHERE collection_id = ${collection.id})
             + (SELECT count(*) FROM collection_permissions WHERE collection_id = ${collection.id})
             + (SELECT count(*) FROM collection_resource_limits WHERE collection_id = ${collection.id})
             + (SELECT count(*) FROM collection_audit_log WHERE collection_id = ${collection.id}) AS n`.execute(tx);
      return Number(counts.rows[0]?.n);
    });
    expect(leftovers).toBe(0);
  });

  it('operations: one active per collection, list filters, progress, counts by status and metrics', async () => {
    const owner = await run((r) => makeUser(r));
    const collection = await run((r) => makeCollection(r, owner.id));
    const op = await run((r) => r.operations.insert({ collection_id: collection.id, user_id: owner.id, type: 'index', config: { source_path: '/x' } }));
    expect(op.status).toBe('pending');
    expect(op.config).toEqual({ source_path: '/x' });
    await expect(run((r) => r.operations.insert({ collection_id: collection.id, user_id: owner.id, type: 'append' }))).rejects.toBeInstanceOf(AlreadyExistsError);
    await run((r) => r.operations.updateProgress(op.id, { total_files: 10, processed_files: 3, current_file: 'a.txt' }));
    const countsNow = async () => new Map((await run((r) => r.operations.countByStatus())).map((c) => [c.status, c.count]));
    const before = await countsNow();
    await run((r) => r.operations.markStatus(op.id, 'completed', { completed_at: new Date() }));
    const next = await run((r) => r.operations.insert({ collection_id: collection.id, user_id: owner.id, type: 'append' }));
    const after = await countsNow();
    expect((after.get('completed') ?? 0) - (before.get('completed') ?? 0)).toBe(1);
    expect(after.get('pending')).toBe(before.get('pending'));
    const listed = await run((r) => r.operations.list({ page: 1, perPage: 10, collectionId: collection.id, statuses: ['completed'] }));
    expect(listed.items.map((o) => o.id)).toEqual([op.id]);
    expect(listed.items[0]?.processed_files).toBe(3);
    const visible = await run((r) => r.operations.list({ page: 1, perPage: 10, visibleToUserId: owner.id + 1000, collectionId: collection.id }));
    expect(visible.total).toBe(0);
    await run((r) => r.operationMetrics.insertMany(next.id, { files_per_second: 12.5, chunks: 40 }));
    const metrics = await run((r) => r.operationMetrics.listByOperation(next.id));
    expect(Object.fromEntries(metrics.map((m) => [m.metric_name, m.metric_value]))).toEqual({ files_per_second: 12.5, chunks: 40 });
  });

  it('documents: upsert by content hash, list by status, fingerprints', async () => {
    const owner = await run((r) => makeUser(r));
    const collection = await run((r) => makeCollection(r, owner.id));
    const rows = await run((r) =>
      r.documents.upsertMany([
        { collection_id: collection.id, file_path: '/d/a.txt', file_name: 'a.txt', file_size: 5_000_000_000, content_hash: 'h1' },
        { collection_id: collection.id, file_path: '/d/b.txt', file_name: 'b.txt', file_size: 2, content_hash: 'h2' },
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]?.file_size).toBe(5_000_000_000); // > 4 GB survives as a number
    const moved = await run((r) => r.documents.upsertMany([{ collection_id: collection.id, file_path: '/d/a-moved.txt', file_name: 'a-moved.txt', content_hash: 'h1' }]));
    expect(moved[0]?.id).toBe(rows[0]?.id);
    await run((r) => r.documents.updateStatus(rows[1]!.id, 'failed', { error_message: 'corrupt PDF' }));
    const failed = await run((r) => r.documents.list({ collectionId: collection.id, status: 'failed', page: 1, perPage: 10 }));
    expect(failed.items.map((d) => d.error_message)).toEqual(['corrupt PDF']);
    const prints = await run((r) => r.documents.listFingerprints(collection.id));
    expect(prints.map((p) => p.file_path).sort()).toEqual(['/d/a-moved.txt', '/d/b.txt']);
    expect(await run((r) => r.documents.countByStatus(collection.id))).toEqual({ pending: 1, processing: 0, completed: 0, failed: 1 });
  });

  it('chunks: inserted text and vectors are searchable by tsvector and cosine distance', async () => {
    const owner = await run((r) => makeUser(r));
    const collection = await run((r) => makeCollection(r, owner.id));
    const doc = await run((r) => makeDocument(r, collection.id));
    const texts = ['Tabs\tand\nnewlines \\ backslashes', 'PostgreSQL stores vectors with pgvector', 'émoji 🚀 and ünïcode'];
    const ids = await run((r) =>
      r.chunks.insertMany(
        texts.map((text, i) => ({
          collection_id: collection.id,
          document_id: doc.id,
          generation: 1,
          chunk_index: i,
          text,
          start_offset: i * 10,
          end_offset: i * 10 + 9,
          metadata: { heading: ['H', String(i)] },
          embedding: unitVector(384, i),
        })),
        { model: 'deterministic-hash-384', dimension: 384 },
      ),
    );
    expect(ids).toHaveLength(3);
    const stored = await run((r) => r.chunks.listByDocument(doc.id, 1));
    expect(stored.map((c) => c.text)).toEqual(texts);
    expect(stored[0]?.metadata).toEqual({ heading: ['H', '0'] });
    const result = await inUnitOfWork(handle.database, async (tx) => {
      const keyword = await sql<{ id: string }>`
        SELECT id FROM chunks WHERE tsv @@ websearch_to_tsquery('english', 'vector') AND document_id = ${doc.id}`.execute(tx);
      const nearest = await sql<{ chunk_id: string }>`
        SELECT chunk_id FROM chunk_embeddings WHERE collection_id = ${collection.id}
        ORDER BY embedding <=> ${JSON.stringify(unitVector(384, 2))}::vector LIMIT 1`.execute(tx);
      return { keyword: keyword.rows.map((r) => r.id), nearest: nearest.rows[0]?.chunk_id };
    });
    expect(result.keyword).toEqual([ids[1]]); // stemming: "vector" matches "vectors"
    expect(result.nearest).toBe(ids[2]);
    await expect(
      run((r) =>
        r.chunks.insertMany([{ collection_id: collection.id, document_id: doc.id, generation: 1, chunk_index: 9, text: 'x', embedding: [1, 2] }], {
          model: 'm',
          dimension: 384,
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await run((r) => r.chunks.ensureVectorIndex(384));
    await run((r) => r.chunks.ensureVectorIndex(384)); // idempotent
    const refreshed = await run(async (r) => {
      await r.documents.updateStatus(doc.id, 'completed', { chunk_count: 3 });
      return r.collections.refreshCounters(collection.id);
    });
    expect(refreshed.vector_count).toBe(3);
    expect(refreshed.document_count).toBe(1);
    expect(await run((r) => r.chunks.deleteByDocuments([doc.id]))).toBe(3);
  });

  it.each([
    ['multi-row INSERT', 3],
    ['COPY', COPY_THRESHOLD_ROWS + 10],
  ])('chunks: the %s path stores exactly what it was given', async (_path, count) => {
    const owner = await run((r) => makeUser(r));
    const collection = await run((r) => makeCollection(r, owner.id));
    const doc = await run((r) => makeDocument(r, collection.id));
    const tricky = (i: number) => `row ${i}: tab\there, newline\nthere, backslash \\ N \\N, quote ' " ünï 🚀`;
    const ids = await run((r) =>
      r.chunks.insertMany(
        Array.from({ length: count }, (_, i) => ({
          collection_id: collection.id,
          document_id: doc.id,
          generation: 1,
          chunk_index: i,
          text: tricky(i),
          page: i % 3 === 0 ? null : i,
          metadata: { i, nested: { list: [i, 'x\ty'] } },
          embedding: unitVector(384, i),
        })),
        { model: 'deterministic-hash-384', dimension: 384 },
      ),
    );
    const stored = await run((r) => r.chunks.listByDocument(doc.id, 1));
    expect(stored.map((c) => c.id)).toEqual(ids);
    expect(stored.map((c) => c.text)).toEqual(Array.from({ length: count }, (_, i) => tricky(i)));
    expect(stored.map((c) => c.page)).toEqual(Array.from({ length: count }, (_, i) => (i % 3 === 0 ? null : i)));
    expect(stored[count - 1]?.metadata).toEqual({ i: count - 1, nested: { list: [count - 1, 'x\ty'] } });
    const vectors = await handle.database.db.selectFrom('chunk_embeddings').select(['dimension', 'model']).where('chunk_id', 'in', ids).execute();
    expect(vectors).toHaveLength(count);
    expect(new Set(vectors.map((v) => `${v.model}/${v.dimension}`))).toEqual(new Set(['deterministic-hash-384/384']));
  });

  it('a unit of work that fails half-way leaves nothing behind', async () => {
    const name = `rollback-${Date.now()}`;
    let ownerId = 0;
    await expect(
      run(async (r) => {
        const owner = await makeUser(r, { username: name });
        ownerId = owner.id;
        await makeCollection(r, owner.id, { name });
        throw new Error('boom after two inserts');
      }),
    ).rejects.toThrow('boom after two inserts');
    expect(await run((r) => r.users.findByUsername(name))).toBeUndefined();
    expect(await run((r) => r.collections.findByOwnerAndName(ownerId, name))).toBeUndefined();
  });
});
