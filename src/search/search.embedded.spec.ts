import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/fixtures.js';
import { createEmbeddedTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { NotFoundError } from '../errors/domain-errors.js';
import { cachedEmbedderLookup } from './query-embedder.js';
import { searchRequestSchema } from './search.schema.js';
import { search, type SearchPrincipal } from './search.service.js';
import { hashEmbedder, seedCollection, splitHybridAgainstSingleStatement } from '../../test/support/search-fixtures.js';

// The embedded backend (PGlite, the default without DATABASE_URL) runs the same statements: arrays
// as parameters, jsonb containment, set_config of the hnsw.* knobs, the 512-d partial index.
describe('search on embedded PGlite', () => {
  const embedder = hashEmbedder(512, 'test-hash-512');
  const deps = { embedders: cachedEmbedderLookup(() => embedder) };
  let handle: TestDatabase;
  let principal: SearchPrincipal;
  let collectionId: string;

  beforeAll(async () => {
    handle = await createEmbeddedTestDatabase();
    const user = await inUnitOfWork(handle.database, (tx) => makeUser(repositoriesFor(tx)));
    principal = { id: user.id, is_superuser: false };
    const collection = await seedCollection(handle.database, {
      ownerId: user.id,
      embedder,
      documents: [
        { path: '/e/otters.pdf', mimeType: 'application/pdf', metadata: { tags: ['animals'] }, chunks: ['sea otters hold hands while sleeping'] },
        { path: '/e/otter-notes.txt', metadata: { tags: ['notes'] }, chunks: ['river otters eat fish', 'otters are playful'] },
        { path: '/e/compilers.txt', chunks: ['a compiler lowers syntax trees into machine code'] },
      ],
    });
    collectionId = collection.id;
  });
  afterAll(async () => {
    await handle?.dispose();
  });

  const run = (body: Record<string, unknown>) =>
    search(handle.database, principal, searchRequestSchema.parse({ collection_uuids: [collectionId], ...body }), deps);

  it('semantic, keyword and hybrid answer, diversified and filtered', async () => {
    for (const search_type of ['semantic', 'keyword', 'hybrid'] as const) {
      const response = await run({ query: 'otters', search_type, k: 3 });
      expect(response.results.slice(0, 2).map((r) => r.file_name).sort(), search_type).toEqual(['otter-notes.txt', 'otters.pdf']);
      const filtered = await run({ query: 'otters', search_type, metadata_filter: { file_type: ['pdf'], tags: 'animals' } });
      expect(filtered.results.map((r) => r.file_name), search_type).toEqual(['otters.pdf']);
    }
  });

  it('hybrid with the keyword side ranked first (as search() does) answers exactly like the single statement', async () => {
    const requests = ['otters', 'sleeping otters eat fish', 'compiler machine code for otters'].flatMap((query) => [
      searchRequestSchema.parse({ collection_uuids: [collectionId], query, search_type: 'hybrid', k: 3 }),
      searchRequestSchema.parse({ collection_uuids: [collectionId], query, search_type: 'hybrid', metadata_filter: { tags: 'notes' } }),
    ]);
    const answers = await splitHybridAgainstSingleStatement(handle.database, principal, requests, deps.embedders);
    for (const answer of answers) {
      expect(answer.candidates).toBeGreaterThan(0);
      expect(answer.split).toEqual(answer.single);
    }
  });

  it('an unknown collection is a 404', async () => {
    await expect(run({ query: 'otters', collection_uuids: ['00000000-0000-4000-8000-000000000001'] })).rejects.toBeInstanceOf(NotFoundError);
  });
});
