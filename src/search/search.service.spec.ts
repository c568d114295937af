import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { NotFoundError, ValidationError } from '../errors/domain-errors.js';
import { cachedEmbedderLookup, embedQuery, type QueryEmbedder } from './query-embedder.js';
import { compileMetadataFilter } from './search-filters.js';
import { SearchRepository } from './search.repository.js';
import { searchRequestSchema, type SearchRequestInput } from './search.schema.js';
import { candidateDepth, DEFAULT_TUNING, findKeywordCandidatesFor, loadSearchableCollections, search, searchInTransaction, type SearchPrincipal } from './search.service.js';
import { defaultHybridAlpha } from './hybrid-calibration.js';
import { DEFAULT_EMBEDDING_MODEL } from '../ingest/embedding/embedding.registry.js';
import { hashEmbedder, seedCollection, splitHybridAgainstSingleStatement } from '../../test/support/search-fixtures.js';

const embedder = hashEmbedder(384);
const otherModel = hashEmbedder(384, 'other-hash-384');
const embedders: Record<string, QueryEmbedder> = { [embedder.model]: embedder, [otherModel.model]: otherModel };
const deps = {
  embedders: cachedEmbedderLookup((model) => {
    const found = embedders[model];
    if (!found) throw new Error(`no test embedder ${model}`);
    return found;
  }),
};

describe('search service (PostgreSQL server)', () => {
  let handle: TestDatabase;
  let owner: SearchPrincipal;
  let stranger: SearchPrincipal;
  let admin: SearchPrincipal;
  let grantee: SearchPrincipal;
  let main: Awaited<ReturnType<typeof seedCollection>>;
  let privateOfStranger: Awaited<ReturnType<typeof seedCollection>>;
  let publicOfStranger: Awaited<ReturnType<typeof seedCollection>>;
  let sharedWithGrantee: Awaited<ReturnType<typeof seedCollection>>;
  let otherModelCollection: Awaited<ReturnType<typeof seedCollection>>;

  const run = (principal: SearchPrincipal, body: Omit<SearchRequestInput, 'collection_uuids'> & { collection_uuids?: string[] }) =>
    search(handle.database, principal, searchRequestSchema.parse({ collection_uuids: [main.id], ...body }), deps);
  const paths = (response: { results: Array<{ file_path: string }> }) => response.results.map((r) => r.file_path);

  beforeAll(async () => {
    handle = await createServerTestDatabase();
    const users = await inUnitOfWork(handle.database, async (tx) => {
      const repos = repositoriesFor(tx);
      return Promise.all([makeUser(repos), makeUser(repos), makeUser(repos, { is_superuser: true }), makeUser(repos)]);
    });
    const principals = users.map((u): SearchPrincipal => ({ id: u.id, is_superuser: u.is_superuser }));
    [owner, stranger, admin, grantee] = principals as [SearchPrincipal, SearchPrincipal, SearchPrincipal, SearchPrincipal];

    main = await seedCollection(handle.database, {
      ownerId: owner.id,
      embedder,
      documents: [
        {
          path: '/notes/sourdough.md',
          mimeType: 'text/markdown',
          metadata: { topic: 'baking', tags: ['bread', 'kitchen'] },
          chunks: ['Sourdough bread needs a lively starter fed with flour and water.', 'Bake the loaf in a hot dutch oven for forty minutes.'],
        },
        {
          path: '/notes/bicycle.pdf',
          mimeType: 'application/pdf',
          metadata: { topic: 'cycling' },
          chunks: [
            { text: 'Adjust the bicycle derailleur with the barrel adjuster until shifting is smooth.', metadata: { section: 'gears' } },
            { text: 'Check tyre pressure before every long bicycle ride.', metadata: { section: 'tyres' } },
          ],
        },
        {
          path: '/notes/kubernetes.txt',
          metadata: { topic: 'ops' },
          chunks: ['A kubernetes pod restarts when its liveness probe fails; the zygomorphic flag is rare.'],
        },
        {
          // One long file whose chunks all match "garden": it must not fill the top k alone.
          path: '/notes/garden-diary.txt',
          metadata: { topic: 'garden' },
          chunks: Array.from({ length: 8 }, (_, i) => `garden tomato watering log entry ${i} garden beds mulch`),
        },
        { path: '/notes/garden-tools.txt', metadata: { topic: 'garden' }, chunks: ['garden tools: spade, rake and tomato cages'] },
      ],
    });
    privateOfStranger = await seedCollection(handle.database, { ownerId: stranger.id, embedder, documents: [{ path: '/s/secret.txt', chunks: ['sourdough secret'] }] });
    publicOfStranger = await seedCollection(handle.database, {
      ownerId: stranger.id,
      isPublic: true,
      embedder,
      documents: [{ path: '/p/public-bread.txt', chunks: ['public sourdough bread recipe'] }],
    });
    sharedWithGrantee = await seedCollection(handle.database, { ownerId: stranger.id, embedder, documents: [{ path: '/g/shared.txt', chunks: ['shared sourdough'] }] });
    await inUnitOfWork(handle.database, (tx) => repositoriesFor(tx).permissions.upsertForUser(sharedWithGrantee.id, grantee.id, 'read'));
    otherModelCollection = await seedCollection(handle.database, {
      ownerId: owner.id,
      embedder: otherModel,
      documents: [{ path: '/o/other-model.txt', chunks: ['sourdough in another vector space'] }],
    });
  });
  afterAll(async () => {
    await handle?.dispose();
  });

  it('keyword: an exact rare term finds its file first, with a score in (0, 1)', async () => {
    const response = await run(owner, { query: 'zygomorphic', search_type: 'keyword' });
    expect(paths(response)[0]).toBe('/notes/kubernetes.txt');
    expect(response.results).toHaveLength(1);
    expect(response.results[0]!.score).toBeGreaterThan(0);
    expect(response.results[0]!.score).toBeLessThan(1);
    expect(response.search_type).toBe('keyword');
    expect(response.search_time_ms).toBeGreaterThanOrEqual(0);
  });

  it('keyword: plain words match any of them (stemmed); websearch syntax keeps AND, phrases and exclusions', async () => {
    const anyWords = await run(owner, { query: 'derailleurs tomatoes', search_type: 'keyword' });
    expect(paths(anyWords)).toEqual(expect.arrayContaining(['/notes/bicycle.pdf', '/notes/garden-tools.txt']));
    const phrase = await run(owner, { query: '"liveness probe"', search_type: 'keyword' });
    expect(paths(phrase)).toEqual(['/notes/kubernetes.txt']);
    const excluded = await run(owner, { query: 'garden -diary -log', search_type: 'keyword' });
    expect(paths(excluded)).toEqual(['/notes/garden-tools.txt']);
    const onlyStopWords = await run(owner, { query: 'the and of', search_type: 'keyword' });
    expect(onlyStopWords.results).toEqual([]);
  });

  it('keyword: frequent words (exact document frequency over the cap) do not select candidates on their own, but still rank', async () => {
    // Cap 1: every word in two or more chunks counts as frequent on this small corpus.
    const withStats = (query: string) =>
      search(handle.database, owner, searchRequestSchema.parse({ collection_uuids: [main.id], query, search_type: 'keyword' }), deps, {
        ...DEFAULT_TUNING,
        matchTermCap: 1,
      });
    // "garden" alone would match 9 chunks; with it frequent, only the rare word selects.
    expect(paths(await withStats('garden zygomorphic'))).toEqual(['/notes/kubernetes.txt']);
    expect((await run(owner, { query: 'garden zygomorphic', search_type: 'keyword' })).results.length).toBeGreaterThan(1);
    // Every word frequent: chunks containing all of them.
    expect([...new Set(paths(await withStats('garden tomato')))].sort()).toEqual(['/notes/garden-diary.txt', '/notes/garden-tools.txt']);
    expect(paths(await withStats('bicycle tomato'))).toEqual([]);
  });

  it('semantic: the nearest chunk comes first with a cosine score, and the response names the collection and model', async () => {
    const response = await run(owner, { query: 'derailleur barrel adjuster shifting', search_type: 'semantic', k: 3 });
    const top = response.results[0]!;
    expect(top.file_path).toBe('/notes/bicycle.pdf');
    expect(top.file_name).toBe('bicycle.pdf');
    expect(top.text).toContain('derailleur');
    expect(top.metadata).toMatchObject({ topic: 'cycling', section: 'gears', chunk_index: 0 });
    expect(top.collection_name).toBe(main.name);
    expect(top.embedding_model).toBe(embedder.model);
    expect(top.score).toBeGreaterThan(0.5);
    expect(top.score).toBeLessThanOrEqual(1.0000001);
    expect(response.collections_searched).toEqual([{ id: main.id, name: main.name, embedding_model: embedder.model }]);
  });

  it('hybrid: fuses both lists (a keyword-only hit still appears), normalized so scores are ≤ 1, best first', async () => {
    const response = await run(owner, { query: 'zygomorphic sourdough starter', search_type: 'hybrid', k: 10 });
    expect(paths(response)).toContain('/notes/kubernetes.txt');
    expect(paths(response)[0]).toBe('/notes/sourdough.md');
    for (const r of response.results) expect(r.score).toBeLessThanOrEqual(1);
    const firstPerDocument = response.results.filter((r, i) => response.results.findIndex((x) => x.document_id === r.document_id) === i);
    const scores = firstPerDocument.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('hybrid score fusion (opt-in): min–max normalised scores, α-weighted; a keyword-only hit still appears, scores in [0, 1]', async () => {
    const request = searchRequestSchema.parse({ collection_uuids: [main.id], query: 'zygomorphic sourdough starter', search_type: 'hybrid', k: 10, hybrid_alpha: 0.3 });
    const response = await search(handle.database, owner, request, deps, { ...DEFAULT_TUNING, fusion: { ...DEFAULT_TUNING.fusion, method: 'score' } });
    expect(paths(response)).toContain('/notes/kubernetes.txt');
    expect(paths(response)[0]).toBe('/notes/sourdough.md');
    for (const r of response.results) expect(r.score).toBeGreaterThanOrEqual(0);
    for (const r of response.results) expect(r.score).toBeLessThanOrEqual(1);
  });

  it('diversifies: each document’s best chunk comes before any second chunk of one document', async () => {
    for (const search_type of ['keyword', 'semantic', 'hybrid'] as const) {
      const response = await run(owner, { query: 'garden tomato', search_type, k: 4 });
      expect(response.results).toHaveLength(4);
      const documents = response.results.map((r) => r.document_id);
      expect(new Set(documents.slice(0, 2)).size, search_type).toBe(2);
      expect(paths(response).slice(0, 2).sort(), search_type).toEqual(['/notes/garden-diary.txt', '/notes/garden-tools.txt']);
    }
  });

  it('k, score_threshold and include_content shape the answer', async () => {
    const two = await run(owner, { query: 'garden', search_type: 'keyword', k: 2 });
    expect(two.results).toHaveLength(2);
    const all = await run(owner, { query: 'bicycle sourdough garden kubernetes', search_type: 'semantic', k: 20 });
    const threshold = all.results[2]!.score;
    const above = await run(owner, { query: 'bicycle sourdough garden kubernetes', search_type: 'semantic', k: 20, score_threshold: threshold });
    expect(above.results.length).toBeGreaterThanOrEqual(3);
    expect(above.results.length).toBeLessThan(all.results.length);
    for (const r of above.results) expect(r.score).toBeGreaterThanOrEqual(threshold);
    const noText = await run(owner, { query: 'bicycle', search_type: 'keyword', include_content: false });
    expect(noText.results[0]!.text).toBeNull();
    expect(noText.results[0]!.file_path).toBe('/notes/bicycle.pdf');
  });

  describe('permissions', () => {
    const sourdough = (principal: SearchPrincipal, ids: string[]) =>
      run(principal, { query: 'sourdough', search_type: 'semantic', collection_uuids: ids }).then(paths);

    it('owner, public, permission row and superuser can search; results come from every collection searched', async () => {
      expect(await sourdough(owner, [main.id, publicOfStranger.id])).toEqual(expect.arrayContaining(['/notes/sourdough.md', '/p/public-bread.txt']));
      expect(await sourdough(grantee, [sharedWithGrantee.id])).toEqual(['/g/shared.txt']);
      expect(await sourdough(admin, [privateOfStranger.id])).toEqual(['/s/secret.txt']);
    });

    it("another user's private collection is a 404 naming it, exactly like an unknown id", async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const err = await sourdough(owner, [main.id, privateOfStranger.id, unknown]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain(privateOfStranger.id);
      expect((err as Error).message).toContain(unknown);
      expect((err as Error).message).not.toContain(main.id);
      await expect(sourdough(grantee, [privateOfStranger.id])).rejects.toBeInstanceOf(NotFoundError);
      // keyword search checks permissions too (it skips the embedding step, not the check)
      await expect(run(owner, { query: 'sourdough', search_type: 'keyword', collection_uuids: [privateOfStranger.id] })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('an API key permission row grants its key, not the user behind other keys', async () => {
      const key = await inUnitOfWork(handle.database, (tx) =>
        repositoriesFor(tx).apiKeys.insert({ user_id: owner.id, name: 'k', key_hash: `search-${owner.id}`, key_prefix: 'smk_test', expires_at: null, permissions: null }),
      );
      await inUnitOfWork(handle.database, (tx) =>
        tx.insertInto('collection_permissions').values({ collection_id: privateOfStranger.id, api_key_id: key.id, permission: 'read' }).execute(),
      );
      expect(await sourdough({ ...owner, apiKeyId: key.id }, [privateOfStranger.id])).toEqual(['/s/secret.txt']);
      await expect(sourdough(owner, [privateOfStranger.id])).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  it('semantic/hybrid across different embedding models is a 422 naming the collections; keyword across them works', async () => {
    for (const search_type of ['semantic', 'hybrid'] as const) {
      const err = await run(owner, { query: 'sourdough', search_type, collection_uuids: [main.id, otherModelCollection.id] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain(main.name);
      expect((err as Error).message).toContain(otherModelCollection.name);
      expect((err as Error).message).toContain('other-hash-384');
    }
    const keyword = await run(owner, { query: 'sourdough', search_type: 'keyword', collection_uuids: [main.id, otherModelCollection.id] });
    expect(paths(keyword)).toEqual(expect.arrayContaining(['/notes/sourdough.md', '/o/other-model.txt']));
  });

  describe('metadata_filter', () => {
    const filtered = (metadata_filter: Record<string, unknown>, search_type: 'keyword' | 'semantic' | 'hybrid' = 'semantic') =>
      run(owner, { query: 'bicycle sourdough kubernetes garden', search_type, k: 50, metadata_filter: metadata_filter as never }).then(
        (r) => [...new Set(paths(r))].sort(),
      );

    it('file_type and mime_type select documents; a list means any of them', async () => {
      for (const type of ['semantic', 'keyword', 'hybrid'] as const) {
        expect(await filtered({ file_type: 'pdf' }, type)).toEqual(['/notes/bicycle.pdf']);
      }
      expect(await filtered({ file_type: ['.MD', 'pdf'] })).toEqual(['/notes/bicycle.pdf', '/notes/sourdough.md']);
      expect(await filtered({ mime_type: 'text/markdown' })).toEqual(['/notes/sourdough.md']);
      expect(await filtered({ path_prefix: '/notes/garden' })).toEqual(['/notes/garden-diary.txt', '/notes/garden-tools.txt']);
    });

    it('other keys are jsonb containment on document or chunk metadata; array fields match a member', async () => {
      expect(await filtered({ topic: 'ops' })).toEqual(['/notes/kubernetes.txt']);
      expect(await filtered({ topic: ['ops', 'cycling'] })).toEqual(['/notes/bicycle.pdf', '/notes/kubernetes.txt']);
      expect(await filtered({ tags: 'bread' })).toEqual(['/notes/sourdough.md']);
      expect(await filtered({ topic: 'cycling', section: 'tyres' })).toEqual(['/notes/bicycle.pdf']);
      const tyres = await run(owner, { query: 'bicycle', search_type: 'semantic', metadata_filter: { section: 'tyres' } });
      expect(tyres.results.map((r) => r.text)).toEqual(['Check tyre pressure before every long bicycle ride.']);
      expect(await filtered({ topic: 'nothing-has-this' })).toEqual([]);
    });

    it("keys with SQL in them are data, not SQL; bad values for special keys are a validation error", async () => {
      expect(await filtered({ "topic') OR true --": 'x' })).toEqual([]);
      expect(() => compileMetadataFilter({ document_id: 'not-a-uuid' })).toThrow(ValidationError);
      expect(() => compileMetadataFilter({ file_type: 3 })).toThrow(ValidationError);
    });
  });

  it('reads only the active generation (blue/green reindex)', async () => {
    const collection = await seedCollection(handle.database, { ownerId: owner.id, embedder, documents: [{ path: '/gen/old.txt', chunks: ['quokka habitat old'] }] });
    const newGeneration = await inUnitOfWork(handle.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const documentId = collection.documents[0]!.id;
      const [vector] = await embedder.embed(['quokka habitat new']);
      return repos.chunks.insertMany(
        [{ collection_id: collection.id, document_id: documentId, generation: 2, chunk_index: 0, text: 'quokka habitat new', embedding: vector }],
        { model: embedder.model, dimension: embedder.dimension },
      );
    });
    expect(newGeneration).toHaveLength(1);
    for (const search_type of ['semantic', 'keyword', 'hybrid'] as const) {
      const before = await run(owner, { query: 'quokka habitat', search_type, collection_uuids: [collection.id] });
      expect(before.results.map((r) => r.text), search_type).toEqual(['quokka habitat old']);
    }
    await inUnitOfWork(handle.database, (tx) => repositoriesFor(tx).collections.update(collection.id, { active_generation: 2 }));
    const after = await run(owner, { query: 'quokka habitat', search_type: 'hybrid', collection_uuids: [collection.id] });
    expect(after.results.map((r) => r.text)).toEqual(['quokka habitat new']);
  });

  it('hybrid with the keyword side ranked first (as search() does) answers exactly like the single statement', async () => {
    const requests = ['zygomorphic sourdough starter', 'bicycle tyre pressure', 'garden', 'bread oven'].flatMap((query) => [
      searchRequestSchema.parse({ collection_uuids: [main.id], query, search_type: 'hybrid', k: 3 }),
      searchRequestSchema.parse({ collection_uuids: [main.id], query, search_type: 'hybrid', hybrid_alpha: 0.7, metadata_filter: { topic: ['baking', 'cycling', 'garden'] } }),
    ]);
    const answers = await splitHybridAgainstSingleStatement(handle.database, owner, requests, deps.embedders);
    for (const answer of answers) {
      expect(answer.candidates).toBeGreaterThan(0);
      expect(answer.split).toEqual(answer.single);
    }
  });

  it('hybrid: keyword candidates ranked before a reindex switched generations are not fused after it', async () => {
    const collection = await seedCollection(handle.database, { ownerId: owner.id, embedder, documents: [{ path: '/gen/wombat.txt', chunks: ['wombat burrow old'] }] });
    await inUnitOfWork(handle.database, async (tx) => {
      const [vector] = await embedder.embed(['wombat burrow new']);
      await repositoriesFor(tx).chunks.insertMany(
        [{ collection_id: collection.id, document_id: collection.documents[0]!.id, generation: 2, chunk_index: 0, text: 'wombat burrow new', embedding: vector! }],
        { model: embedder.model, dimension: embedder.dimension },
      );
    });
    const request = searchRequestSchema.parse({ collection_uuids: [collection.id], query: 'wombat burrow', search_type: 'hybrid' });
    const keyword = await inUnitOfWork(handle.database, async (tx) =>
      findKeywordCandidatesFor(tx, await loadSearchableCollections(tx, owner, [collection.id]), request),
    );
    expect(keyword.candidates).toHaveLength(1);
    await inUnitOfWork(handle.database, (tx) => repositoriesFor(tx).collections.update(collection.id, { active_generation: 2 }));
    const vector = await embedQuery(deps.embedders, embedder.model, request.query);
    const response = await inUnitOfWork(handle.database, (tx) => searchInTransaction(tx, owner, request, vector, { keyword }));
    expect(response.results.map((r) => r.text)).toEqual(['wombat burrow new']);
  });

  it('the semantic statement can use the partial HNSW index (expression and predicate match it)', async () => {
    await inUnitOfWork(handle.database, (tx) => repositoriesFor(tx).chunks.ensureVectorIndex(384));
    const plan = await inUnitOfWork(handle.database, async (tx) => {
      // A tiny table would be scanned sequentially; turning that off shows whether the index is usable at all.
      await sql`SET LOCAL enable_seqscan = off`.execute(tx);
      const [values] = await embedder.embed(['sourdough']);
      return new SearchRepository(tx).explain({
        type: 'semantic',
        collectionIds: [main.id],
        k: 10,
        depth: candidateDepth(10, 'semantic'),
        scoreThreshold: null,
        hybridAlpha: 0.7,
        includeContent: true,
        filter: compileMetadataFilter(undefined),
        queryVector: { model: embedder.model, dimension: 384, values: values! },
        queryText: 'sourdough',
        fusion: DEFAULT_TUNING.fusion,
      });
    });
    expect(plan).toContain('chunk_embeddings_hnsw_384');
  });
});

describe('search request validation', () => {
  const id = '5f0c6f5e-8d6b-4c1e-9a53-0c8f0b4b8f11';
  const issues = (body: unknown) => {
    const parsed = searchRequestSchema.safeParse(body);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('applies the defaults', () => {
    expect(searchRequestSchema.parse({ collection_uuids: [id], query: '  hello ' })).toMatchObject({
      query: 'hello',
      k: 10,
      search_type: 'hybrid',
      include_content: true,
    });
    // Left to the service: calibrated per embedding model.
    expect(searchRequestSchema.parse({ collection_uuids: [id], query: 'hello' }).hybrid_alpha).toBeUndefined();
    expect(defaultHybridAlpha(DEFAULT_EMBEDDING_MODEL)).toBe(0.1);
    expect(defaultHybridAlpha('some-endpoint-model')).toBe(0.7);
  });

  it('rejects empty queries, k out of 1..100, no or more than 10 collections, non-UUIDs, bad alpha and type', () => {
    expect(issues({ collection_uuids: [id], query: '   ' })).toEqual(['query: query must not be empty']);
    expect(issues({ collection_uuids: [id], query: 'x', k: 0 })).toEqual(['k: k must be between 1 and 100']);
    expect(issues({ collection_uuids: [id], query: 'x', k: 101 })).toEqual(['k: k must be between 1 and 100']);
    expect(issues({ collection_uuids: [], query: 'x' })[0]).toContain('at least one collection');
    expect(issues({ collection_uuids: Array(11).fill(id), query: 'x' })[0]).toContain('at most 10 collections');
    expect(issues({ collection_uuids: ['nope'], query: 'x' })[0]).toContain('UUID');
    expect(issues({ collection_uuids: [id], query: 'x', hybrid_alpha: 1.5 })[0]).toMatch(/^hybrid_alpha/);
    expect(issues({ collection_uuids: [id], query: 'x', search_type: 'fuzzy' })[0]).toMatch(/^search_type/);
    expect(issues({ collection_uuids: [id], query: 'x'.repeat(1001) })[0]).toContain('at most 1000');
  });
});
