import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../ingest/embedding/embedding.registry.js';
import { cachedEmbedderLookup, type CachedEmbedderLookup } from './query-embedder.js';
import { searchRequestSchema, type SearchType } from './search.schema.js';
import { search, type SearchPrincipal } from './search.service.js';
import { seedCollection, type FixtureDocument } from '../../test/support/search-fixtures.js';

/**
 * Ranking with the REAL default model (Universal Sentence Encoder Lite, 512-d) on a small corpus of
 * distinct topics: paraphrases share few or no words with the text they should find.
 */
const CORPUS: FixtureDocument[] = [
  { path: '/kb/sourdough.md', chunks: ['Feed the sourdough starter with equal weights of flour and water, then let the dough rise overnight before baking the loaf.'] },
  { path: '/kb/bicycle-brakes.md', chunks: ['To adjust rim brakes on a bicycle, loosen the cable bolt, squeeze the pads against the wheel rim and tighten the bolt again.'] },
  { path: '/kb/tax-return.md', chunks: ['File your annual income tax return before the April deadline and keep receipts for deductible expenses.'] },
  { path: '/kb/houseplants.md', chunks: ['Most houseplants prefer indirect sunlight; water them when the top inch of soil feels dry.'] },
  { path: '/kb/backup.md', chunks: ['Back up the database every night and copy the archive to a second machine in another building.'] },
  { path: '/kb/marathon.md', chunks: ['Marathon training plans increase the weekly running distance slowly and include one long run each weekend.'] },
  { path: '/kb/vaccination.md', chunks: ['Children receive the measles vaccine in two doses, the first around their first birthday.'] },
  { path: '/kb/guitar.md', chunks: ['Tune the guitar strings with a clip-on tuner, starting from the low E string.'] },
  { path: '/kb/mortgage.md', chunks: ['A fixed-rate mortgage keeps the same interest rate for the whole term of the home loan.'] },
  { path: '/kb/volcano.md', chunks: ['Volcanic eruptions happen when magma rises through cracks in the crust and erupts as lava and ash.'] },
  { path: '/kb/coffee.md', chunks: ['For pour-over coffee, grind the beans medium-fine and pour water just off the boil in slow circles.'] },
  { path: '/kb/password.md', chunks: ['Use a password manager to generate a long unique password for every account, and turn on two-factor login.'] },
  { path: '/kb/dog-training.md', chunks: ['Reward the puppy with a treat the moment it sits, so it learns the command quickly.'] },
  { path: '/kb/solar.md', chunks: ['Rooftop solar panels convert sunlight into electricity; an inverter turns it into household current.'] },
];

const PARAPHRASES: Array<{ query: string; expected: string }> = [
  { query: 'how do I make bread rise with a natural yeast culture', expected: '/kb/sourdough.md' },
  { query: 'my bike does not stop well, how to fix it', expected: '/kb/bicycle-brakes.md' },
  { query: 'protect against losing data if the server dies', expected: '/kb/backup.md' },
  { query: 'preparing to run 42 kilometres', expected: '/kb/marathon.md' },
  { query: 'keeping my online accounts secure', expected: '/kb/password.md' },
];

describe('ranking with the default model', () => {
  let handle: TestDatabase;
  let embedders: CachedEmbedderLookup;
  let principal: SearchPrincipal;
  let collectionId: string;

  beforeAll(async () => {
    handle = await createServerTestDatabase();
    embedders = cachedEmbedderLookup((model) => createEmbeddingProvider(model, { threads: 2 }));
    const user = await inUnitOfWork(handle.database, (tx) => makeUser(repositoriesFor(tx)));
    principal = { id: user.id, is_superuser: false };
    const collection = await seedCollection(handle.database, { ownerId: user.id, embedder: await embedders(DEFAULT_EMBEDDING_MODEL), documents: CORPUS });
    collectionId = collection.id;
  });
  afterAll(async () => {
    await embedders?.close();
    await handle?.dispose();
  });

  const top = async (query: string, search_type: SearchType, k = 3) => {
    const response = await search(handle.database, principal, searchRequestSchema.parse({ collection_uuids: [collectionId], query, k, search_type }), {
      embedders,
    });
    return response.results.map((r) => r.file_path);
  };

  it.each(PARAPHRASES)('semantic and hybrid find "$expected" in the top 3 for "$query"', async ({ query, expected }) => {
    expect(await top(query, 'semantic')).toContain(expected);
    expect(await top(query, 'hybrid')).toContain(expected);
  });

  it('keyword finds an exact rare term, and misses a paraphrase that shares no word with the text', async () => {
    expect((await top('measles', 'keyword'))[0]).toBe('/kb/vaccination.md');
    expect((await top('inverter', 'keyword'))[0]).toBe('/kb/solar.md');
    expect(await top('getting ready for a 42 kilometre race', 'keyword')).not.toContain('/kb/marathon.md');
  });
});
