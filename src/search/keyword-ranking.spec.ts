import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/fixtures.js';
import { createEmbeddedTestDatabase, createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { cachedEmbedderLookup } from './query-embedder.js';
import { searchRequestSchema, type SearchResponse } from './search.schema.js';
import { DEFAULT_TUNING, search, type SearchPrincipal, type SearchTuning } from './search.service.js';
import { hashEmbedder, seedCollection, type FixtureDocument } from '../../test/support/search-fixtures.js';

/**
 * BM25F keyword ranking (keyword-ranking.ts), on the server and on PGlite: the same statements,
 * the same statistics (kept by triggers), so the same ranking.
 */
const filler = (i: number) => `Git stores snapshots; git commands read the git object store and git refs. Entry ${i}.`;
const CORPUS: FixtureDocument[] = [
  // "git" is in every chunk of the corpus, several times; "maintenance" in one chunk, once.
  { path: '/notes/git-2.29.md', chunks: [filler(1), 'Git 2.29 release notes: git git git rebase improvements, git switch, git git log --format.'] },
  { path: '/notes/git-2.30.md', chunks: [filler(2), 'Git 2.30 introduces the maintenance command to run background tasks for git.'] },
  { path: '/notes/git-2.31.md', chunks: [filler(3), 'Git 2.31: git git diff, git git git merge, git branch.'] },
  // An exact dotted identifier, next to chunks holding its parts as separate words.
  { path: '/config/init.md', chunks: [filler(4), 'Set init.defaultBranch to choose the name of the first branch git init creates.'] },
  { path: '/config/branches.md', chunks: [filler(5), 'git init makes a repository; the default branch is main. Every branch init default.'] },
  // A hyphenated compound, next to a chunk holding its parts apart.
  { path: '/fs/cow.md', chunks: [filler(6), 'Btrfs is a copy-on-write file system used under git checkouts.'] },
  { path: '/fs/copy.md', chunks: [filler(7), 'To copy a file and write it elsewhere, git needs on disk space; write then copy on demand.'] },
  // The same body word in two documents, one of which has it in its title field.
  { path: '/guides/worktree.md', chunks: [{ text: 'Several checkouts of one git repository share the object store; see worktree.', context: 'Worktrees \n worktree.md \n worktree' }] },
  { path: '/guides/misc.md', chunks: [{ text: 'Odds and ends of git: the worktree command, stash, and bisect.', context: 'Miscellany \n misc.md \n misc' }] },
  // Feedback: two chunks about sourdough share "starter" and "flour"; a third has "flour" but not the query word.
  { path: '/bake/starter.md', chunks: ['Sourdough starter needs flour and water every day.'] },
  { path: '/bake/loaf.md', chunks: ['A sourdough loaf rises slowly while the starter ferments the flour.'] },
  { path: '/bake/levain.md', chunks: ['Feed the levain with flour and water.'] },
];

const WITH_FEEDBACK: SearchTuning = { ...DEFAULT_TUNING, feedback: { chunks: 5, terms: 10, weight: 0.1 } };
const QUERIES = ['git maintenance', 'init.defaultBranch', 'copy-on-write', 'worktree', 'git rebase log format', 'branch default', '"default branch"', 'git -maintenance'];

describe.each([
  ['PostgreSQL server', createServerTestDatabase],
  ['embedded PGlite', createEmbeddedTestDatabase],
] as const)('keyword ranking on %s', (_label, createDatabase) => {
  const embedder = hashEmbedder(384);
  const deps = { embedders: cachedEmbedderLookup(() => embedder) };
  let handle: TestDatabase;
  let principal: SearchPrincipal;
  let collectionId: string;

  beforeAll(async () => {
    handle = await createDatabase();
    const user = await inUnitOfWork(handle.database, (tx) => makeUser(repositoriesFor(tx)));
    principal = { id: user.id, is_superuser: false };
    collectionId = (await seedCollection(handle.database, { ownerId: user.id, embedder, documents: CORPUS })).id;
  });
  afterAll(async () => {
    await handle?.dispose();
  });

  const keyword = (query: string, k = 10, tuning = DEFAULT_TUNING): Promise<SearchResponse> =>
    search(handle.database, principal, searchRequestSchema.parse({ collection_uuids: [collectionId], query, k, search_type: 'keyword' }), deps, tuning);
  const files = async (query: string) => (await keyword(query)).results.map((r) => r.file_path);

  it('a word present in every chunk does not outrank a rare matching word', async () => {
    // ts_rank_cd (no IDF) put the notes repeating "git" first; BM25's IDF puts "maintenance" first.
    expect((await files('git maintenance'))[0]).toBe('/notes/git-2.30.md');
  });

  it('an exact dotted or hyphenated identifier is found first: the query goes through the documents tokenizer', async () => {
    expect((await files('init.defaultBranch'))[0]).toBe('/config/init.md');
    expect((await files('copy-on-write'))[0]).toBe('/fs/cow.md');
  });

  it('a term in the title field outranks the same term in body text', async () => {
    expect((await files('worktree')).slice(0, 2)).toEqual(['/guides/worktree.md', '/guides/misc.md']);
  });

  it('scores are fractions of the query maximum, best first; phrases and exclusions still apply', async () => {
    const { results } = await keyword('git rebase log format');
    expect(results[0]!.file_path).toBe('/notes/git-2.29.md');
    for (const r of results) expect(r.score).toBeGreaterThan(0);
    for (const r of results) expect(r.score).toBeLessThan(1);
    expect(await files('"default branch"')).toEqual(['/config/branches.md']);
    const excluded = (await keyword('git -maintenance')).results;
    expect(excluded.length).toBeGreaterThan(0);
    expect(excluded.filter((r) => r.text?.includes('maintenance'))).toEqual([]);
  });

  it('pseudo-relevance feedback (opt-in) adds terms of the top chunks, keeps the rare word first and leaves websearch queries alone', async () => {
    expect((await keyword('git maintenance', 10, WITH_FEEDBACK)).results[0]!.file_path).toBe('/notes/git-2.30.md');
    // "starter" and "flour" are in both sourdough chunks (r = 2): they expand the query, which now
    // reaches the levain page, below the pages holding the query's own word.
    expect(await files('sourdough')).not.toContain('/bake/levain.md');
    const expanded = (await keyword('sourdough', 10, WITH_FEEDBACK)).results.map((r) => r.file_path);
    expect(expanded.slice(0, 2).sort()).toEqual(['/bake/loaf.md', '/bake/starter.md']);
    expect(expanded[2]).toBe('/bake/levain.md');
    expect((await keyword('git -maintenance', 10, WITH_FEEDBACK)).results.filter((r) => r.text?.includes('maintenance'))).toEqual([]);
  });

  // Equal scores are ordered by chunk id, which is random per database: with k above the match count, compare
  // the score sequence and each file's scores.
  const comparable = (results: SearchResponse['results']) => [results.map((r) => r.score.toFixed(9)), results.map((r) => `${r.file_path}#${r.score.toFixed(9)}`).sort()];

  it('ranks exactly like the other backend', async () => {
    const mine = await Promise.all(
      [DEFAULT_TUNING, WITH_FEEDBACK].flatMap((tuning) => QUERIES.map(async (q) => comparable((await keyword(q, 50, tuning)).results))),
    );
    const other = await (_label === 'PostgreSQL server' ? createEmbeddedTestDatabase : createServerTestDatabase)();
    try {
      const user = await inUnitOfWork(other.database, (tx) => makeUser(repositoriesFor(tx)));
      const seeded = await seedCollection(other.database, { ownerId: user.id, embedder, documents: CORPUS });
      const theirs = await Promise.all(
        [DEFAULT_TUNING, WITH_FEEDBACK].flatMap((tuning) =>
          QUERIES.map(async (q) => {
            const request = searchRequestSchema.parse({ collection_uuids: [seeded.id], query: q, k: 50, search_type: 'keyword' });
            return comparable((await search(other.database, { id: user.id, is_superuser: false }, request, deps, tuning)).results);
          }),
        ),
      );
      expect(theirs).toEqual(mine);
    } finally {
      await other.dispose();
    }
  });
});
