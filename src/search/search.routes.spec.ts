import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { seedCollection } from '../../test/support/search-fixtures.js';

// The HTTP edge: validation → 422 {detail, code, errors}, permissions → 404, the contract's answer shape.
describe('POST /api/v2/search', () => {
  let t: TestApp;
  let user: TestUser;
  let other: TestUser;
  let collection: Awaited<ReturnType<typeof seedCollection>>;
  let othersCollection: Awaited<ReturnType<typeof seedCollection>>;
  const embedder = createEmbeddingProvider('deterministic-hash-384');

  beforeAll(async () => {
    t = await createTestApp();
    user = await registerAndLogin(t.app, 'search');
    other = await registerAndLogin(t.app, 'search-other');
    collection = await seedCollection(t.testDb.database, {
      ownerId: user.id,
      embedder,
      documents: [
        { path: '/docs/lighthouse.md', mimeType: 'text/markdown', chunks: ['The lighthouse keeper trims the lamp wick every evening.'] },
        { path: '/docs/volcano.pdf', mimeType: 'application/pdf', chunks: ['Magma rises through the crust and erupts as lava.'] },
      ],
    });
    othersCollection = await seedCollection(t.testDb.database, { ownerId: other.id, embedder, documents: [{ path: '/x/secret.txt', chunks: ['lighthouse secret'] }] });
  });
  afterAll(async () => {
    await t?.dispose();
    await embedder.close();
  });

  const post = (who: TestUser | undefined, payload: Record<string, unknown>, url = '/api/v2/search') => call(t.app, who, { method: 'POST', url, payload });

  it('answers the contract shape, best first, for every search type', async () => {
    for (const search_type of ['semantic', 'keyword', 'hybrid']) {
      const res = await post(user, { collection_uuids: [collection.id], query: 'lighthouse keeper lamp', search_type, k: 5 });
      expect(res.status, search_type).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'collections_searched', 'query', 'results', 'search_time_ms', 'search_type', 'total_results',
          // The original's additive fields (docs/api.md, compatibility).
          'embedding_time_ms', 'failed_collections', 'partial_failure', 'reranker_model', 'reranking_time_ms', 'reranking_used', 'total_time_ms',
        ].sort(),
      );
      expect(res.body.search_type).toBe(search_type);
      expect(res.body.total_results).toBe(res.body.results.length);
      expect(res.body.results[0]).toMatchObject({
        file_name: 'lighthouse.md',
        file_path: '/docs/lighthouse.md',
        collection_id: collection.id,
        collection_name: collection.name,
        embedding_model: 'deterministic-hash-384',
        text: 'The lighthouse keeper trims the lamp wick every evening.',
      });
      expect(Object.keys(res.body.results[0]).sort()).toEqual(
        ['chunk_id', 'chunk_index', 'collection_id', 'collection_name', 'document_id', 'embedding_model', 'file_name', 'file_path', 'metadata', 'score', 'snippet', 'text'].sort(),
      );
      // The snippet marks the query's words (stemmed: "keeper" and "lamp"), as offsets into its text.
      const snippet = res.body.results[0].snippet as { text: string; highlights: Array<[number, number]> };
      expect(snippet.highlights.map(([a, b]) => snippet.text.slice(a, b))).toEqual(['lighthouse', 'keeper', 'lamp']);
      expect(res.body.collections_searched).toEqual([{ id: collection.id, name: collection.name, embedding_model: 'deterministic-hash-384' }]);
    }
  });

  it('/search/single takes collection_id; the default type is hybrid; filters apply', async () => {
    const res = await post(user, { collection_id: collection.id, query: 'lava', metadata_filter: { file_type: 'pdf' } }, '/api/v2/search/single');
    expect(res.status).toBe(200);
    expect(res.body.search_type).toBe('hybrid');
    expect(res.body.results.map((r: { file_name: string }) => r.file_name)).toEqual(['volcano.pdf']);
  });

  it('bad input is a 422 with a clear message per field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ collection_uuids: [collection.id], query: '   ' }, 'query must not be empty'],
      [{ collection_uuids: [collection.id], query: 'x', k: 0 }, 'k must be between 1 and 100'],
      [{ collection_uuids: [collection.id], query: 'x', k: 101 }, 'k must be between 1 and 100'],
      [{ collection_uuids: Array(11).fill(collection.id), query: 'x' }, 'at most 10 collections'],
      [{ collection_uuids: [], query: 'x' }, 'at least one collection'],
      [{ collection_uuids: ['not-a-uuid'], query: 'x' }, 'UUID'],
    ];
    for (const [payload, message] of cases) {
      const res = await post(user, payload);
      expect(res.status, JSON.stringify(payload)).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(JSON.stringify(res.body)).toContain(message);
    }
    const badFilter = await post(user, { collection_uuids: [collection.id], query: 'x', metadata_filter: { document_id: 'nope' } });
    expect(badFilter.status).toBe(422);
    expect(badFilter.body.detail).toContain('document_id');
  });

  it("unknown and other users' private collections are 404 naming them; no credentials is 401", async () => {
    const unknown = '00000000-0000-4000-8000-0000000000aa';
    // `user` registered first, so is the superuser; `other` is a plain user.
    const res = await post(other, { collection_uuids: [othersCollection.id, collection.id, unknown], query: 'lighthouse' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect(res.body.detail).toContain(collection.id);
    expect(res.body.detail).toContain(unknown);
    expect(res.body.detail).not.toContain(othersCollection.id);
    expect((await post(other, { collection_uuids: [othersCollection.id], query: 'lighthouse' })).status).toBe(200);
    expect((await post(undefined, { collection_uuids: [collection.id], query: 'lighthouse' })).status).toBe(401);
  });
});
