/**
 * bench:search:embedded — search latency on the embedded default (PGlite in a data directory),
 * including the query embedding, on real documentation: both eval corpora (python3.11-doc +
 * nodejs-doc, ~16k chunks) indexed with the product's pipeline, grown to 20k and 100k chunks by
 * copying documents with jittered vectors (bench/search-eval/scale-corpus.ts), the eval's 139
 * questions as queries, each against its own corpus's collection. Vectors of the corpus come from
 * the eval's cache (bench/.cache); query embeddings are computed by the real model on every call.
 * Run `npm run eval:search` once first to fill the cache.
 *
 * Besides the end-to-end figures, each piece is timed on its own in the same run: the query
 * embedding alone, the search transaction with a precomputed vector, and the previous sequential
 * composition of `search()` (permission check, then embedding, then one statement doing both
 * halves) against the current one, interleaved query by query so machine load hits both alike.
 *
 * Run: npm run bench:search:embedded [-- --sizes 20000,100000 --rounds 2 --keep --reuse]
 *   --keep leaves each size's data directory in the system temp dir; --reuse starts from it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../src/ingest/embedding/embedding.registry.js';
import { cachedEmbedderLookup, embedQuery, type QueryVector } from '../src/search/query-embedder.js';
import { searchRequestSchema, type SearchRequest, type SearchType } from '../src/search/search.schema.js';
import { candidateDepth, DEFAULT_TUNING, loadSearchableCollections, search, searchInTransaction, sharedEmbeddingModel, type SearchPrincipal } from '../src/search/search.service.js';
import { SearchRepository, type SearchQueryPlan } from '../src/search/search.repository.js';
import { compileMetadataFilter } from '../src/search/search-filters.js';
import { fmt, machineLine, percentile, writeReport } from './bench-support.js';
import { CachedEmbedder } from './search-eval/embedding-cache.js';
import { CACHE_DIR, EVAL_CORPORA, materializeCorpus } from './search-eval/corpora.js';
import { Fts5Baseline } from './search-eval/fts5-baseline.js';
import { ingestCorpus } from './search-eval/ingest-corpus.js';
import { scaleCorpus } from './search-eval/scale-corpus.js';

const args = process.argv.slice(2);
const argValue = (flag: string, fallback: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1]! : fallback;
};
const SIZES = argValue('--sizes', '20000,100000').split(',').map(Number);
const ROUNDS = Number(argValue('--rounds', '2'));
const KEEP = args.includes('--keep');
const REUSE = args.includes('--reuse');
/** Load (and with --keep, keep) the data directories, measure nothing. */
const BUILD_ONLY = args.includes('--build-only');
const TARGET_MS = 50;

interface Workload {
  database: Database;
  principal: SearchPrincipal;
  chunks: number;
  loadSeconds: number;
  /** Each query with the collection of its own corpus. */
  queries: Array<{ query: string; collectionId: string }>;
}

const dataDirFor = (size: number) => path.join(os.tmpdir(), `semantik-bench-embedded-${size}`);

async function loadWorkload(size: number): Promise<Workload> {
  const dataDir = dataDirFor(size);
  const saved = (dir: string) => path.join(dir, 'bench.json');
  const reuse = REUSE && fs.existsSync(saved(dataDir));
  if (!reuse) fs.rmSync(dataDir, { recursive: true, force: true });
  // With --reuse, a larger size grows from a kept smaller one (skips the ingest).
  const keptSizes = fs.readdirSync(os.tmpdir()).map((name) => Number(/^semantik-bench-embedded-(\d+)$/.exec(name)?.[1] ?? NaN));
  const smaller = REUSE && !reuse
    ? keptSizes.filter((s) => s < size).sort((a, b) => a - b).map(dataDirFor).findLast((dir) => fs.existsSync(saved(dir)))
    : undefined;
  if (smaller) fs.cpSync(smaller, dataDir, { recursive: true });
  const config = loadConfig({ SEMANTIK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: undefined });
  const database = await openDatabase(config);
  const queriesOf = (corpusIndex: number, collectionId: string) => {
    const file = path.resolve(import.meta.dirname, 'fixtures', 'search-eval', EVAL_CORPORA[corpusIndex]!.queriesFile);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { queries: Array<{ query: string }> }).queries.map((q) => ({ query: q.query, collectionId }));
  };
  type Saved = { ownerId: number; collectionIds: string[]; chunks: number; loadSeconds: number };
  if (reuse) {
    const kept = JSON.parse(fs.readFileSync(saved(dataDir), 'utf8')) as Saved;
    return {
      database,
      principal: { id: kept.ownerId, is_superuser: false },
      chunks: kept.chunks,
      loadSeconds: kept.loadSeconds,
      queries: kept.collectionIds.flatMap((id, i) => queriesOf(i, id)),
    };
  }
  const started = performance.now();
  let ownerId: number;
  const collectionIds: string[] = [];
  let chunks = 0;
  let loadSeconds = 0;
  if (smaller) {
    const kept = JSON.parse(fs.readFileSync(saved(dataDir), 'utf8')) as Saved;
    ({ ownerId, chunks, loadSeconds } = kept);
    collectionIds.push(...kept.collectionIds);
  } else {
    await migrateToLatest(database.db);
    const provider = await createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL);
    const cached = new CachedEmbedder(provider, path.join(CACHE_DIR, 'vectors'));
    ownerId = (await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x' }))).id;
    try {
      for (const corpus of EVAL_CORPORA) {
        const baseline = new Fts5Baseline();
        const ingested = await ingestCorpus(database, { ownerId, name: corpus.id, dir: materializeCorpus(corpus), embedder: cached, baseline });
        baseline.close();
        collectionIds.push(ingested.collectionId);
        chunks += ingested.chunks;
      }
    } finally {
      await cached.close();
    }
  }
  if (size > chunks) {
    // Copies go in without the HNSW index and it is built once afterwards, as `semantik reindex`
    // would not, but inserting 80k rows one by one into a WASM-built graph takes far longer.
    await sql`DROP INDEX chunk_embeddings_hnsw_512`.execute(database.db);
    chunks = await scaleCorpus(database, collectionIds, size);
    await database.db.connection().execute(async (conn) => {
      await sql`SET maintenance_work_mem = '1GB'`.execute(conn);
      // The same definition as the migration.
      await sql`CREATE INDEX chunk_embeddings_hnsw_512 ON chunk_embeddings
                USING hnsw ((embedding::vector(512)) vector_cosine_ops) WHERE dimension = 512`.execute(conn);
    });
  }
  await sql`VACUUM ANALYZE`.execute(database.db);
  loadSeconds += (performance.now() - started) / 1000;
  fs.writeFileSync(saved(dataDir), JSON.stringify({ ownerId, collectionIds, chunks, loadSeconds } satisfies Saved));
  return {
    database,
    principal: { id: ownerId, is_superuser: false },
    chunks,
    loadSeconds,
    queries: collectionIds.flatMap((id, i) => queriesOf(i, id)),
  };
}

function semanticPlan(q: { query: string; collectionId: string }, vector: QueryVector): SearchQueryPlan {
  return {
    type: 'semantic',
    collectionIds: [q.collectionId],
    k: 10,
    depth: candidateDepth(10, 'semantic'),
    scoreThreshold: null,
    hybridAlpha: 0.5,
    includeContent: false,
    filter: compileMetadataFilter(undefined),
    queryVector: vector,
    queryText: q.query,
    fusion: DEFAULT_TUNING.fusion,
  };
}

type Variant = (query: { query: string; collectionId: string }, vector: QueryVector) => Promise<unknown>;

async function measure(workload: Workload, embedders: ReturnType<typeof cachedEmbedderLookup>) {
  const { database, principal, queries } = workload;
  const request = (q: { query: string; collectionId: string }, search_type: SearchType): SearchRequest =>
    searchRequestSchema.parse({ collection_uuids: [q.collectionId], query: q.query, k: 10, search_type });
  const provider = await embedders(DEFAULT_EMBEDDING_MODEL);
  // The composition of search() before this bench's profile: permission check, the embedding, then
  // one statement with both halves. Same statement and results, nothing overlapped.
  const sequential = async (req: SearchRequest) => {
    const model = await inUnitOfWork(database, async (tx) => sharedEmbeddingModel(await loadSearchableCollections(tx, principal, req.collection_uuids)), { readOnly: true });
    const vector = await embedQuery(embedders, model, req.query);
    return inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, req, vector), { readOnly: true });
  };
  const variants: Record<string, Variant> = {
    'query embedding alone (model call)': (q) => provider.embed([q.query]),
    'keyword, search()': (q) => search(database, principal, request(q, 'keyword'), { embedders }),
    'semantic, search transaction only (vector given)': (q, v) => inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, request(q, 'semantic'), v), { readOnly: true }),
    'semantic, sequential (before)': (q) => sequential(request(q, 'semantic')),
    'semantic, search()': (q) => search(database, principal, request(q, 'semantic'), { embedders }),
    'hybrid, search transaction only (vector given)': (q, v) => inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, request(q, 'hybrid'), v), { readOnly: true }),
    'hybrid, sequential (before)': (q) => sequential(request(q, 'hybrid')),
    'hybrid, search()': (q) => search(database, principal, request(q, 'hybrid'), { embedders }),
  };
  const vectors = new Map<string, QueryVector>();
  for (const q of queries) vectors.set(q.query, await embedQuery(embedders, DEFAULT_EMBEDDING_MODEL, q.query));
  // Warm the model, the buffer cache and the catalog caches; the first statements pay for loading
  // the text-search dictionaries and index pages from disk.
  for (const q of queries.slice(0, 30)) for (const run of Object.values(variants)) await run(q, vectors.get(q.query)!);

  const latencies = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  const names = Object.keys(variants);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, q] of queries.entries()) {
      // Rotate the order per query so no variant always runs right after the same neighbour.
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]!;
        const started = performance.now();
        await variants[name]!(q, vectors.get(q.query)!);
        latencies.get(name)!.push(performance.now() - started);
      }
    }
  }
  // The service's own semantic statement must use the partial HNSW index at this size.
  const plan = await inUnitOfWork(database, (tx) => new SearchRepository(tx).explain(semanticPlan(queries[0]!, vectors.get(queries[0]!.query)!)));
  return {
    usesHnsw: plan.includes('chunk_embeddings_hnsw_512'),
    rows: names.map((name) => {
      const xs = latencies.get(name)!.sort((a, b) => a - b);
      return { name, p50: percentile(xs, 50), p95: percentile(xs, 95), n: xs.length };
    }),
  };
}

async function main() {
  const embedders = cachedEmbedderLookup((model) => createEmbeddingProvider(model));
  // Sections by size; a run of some sizes keeps the other sizes' sections of the last report.
  const reportFile = path.resolve(import.meta.dirname, 'reports', 'search-embedded.md');
  const previous = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : '';
  const sections = new Map<number, string>();
  for (const match of previous.matchAll(/<!-- size (\d+) -->\n([\s\S]*?)<!-- end size -->\n/g)) sections.set(Number(match[1]), match[2]!);
  try {
    for (const size of SIZES) {
      const workload = await loadWorkload(size);
      if (BUILD_ONLY) {
        console.log(`${size}: ${workload.chunks} chunks loaded in ${fmt(workload.loadSeconds, 0)} s`);
        await workload.database.close();
        continue;
      }
      try {
        const loadAvgBefore = os.loadavg()[0]!;
        const { rows, usesHnsw } = await measure(workload, embedders);
        const loadAvgAfter = os.loadavg()[0]!;
        const hybrid = rows.find((r) => r.name === 'hybrid, search()')!;
        for (const r of rows) console.log(`${size} ${r.name}: p50 ${fmt(r.p50, 1)} p95 ${fmt(r.p95, 1)}`);
        sections.set(size, `### ${fmt(workload.chunks)} chunks

Loaded in ${fmt(workload.loadSeconds, 0)} s (ingest with cached vectors${workload.chunks > 16_500 ? ', copies, HNSW build' : ''}). HNSW index in the plan: ${usesHnsw ? 'yes' : '**no**'}.
Load average ${fmt(loadAvgBefore, 1)} before, ${fmt(loadAvgAfter, 1)} after.

| piece / search | p50 ms | p95 ms | calls |
|---|---:|---:|---:|
${rows.map((r) => `| ${r.name} | ${fmt(r.p50, 1)} | ${fmt(r.p95, 1)} | ${r.n} |`).join('\n')}

${size <= 20_000 ? 'Target (issue 14, at 20k chunks)' : 'Against the 20k target, for scale'}: hybrid p95 ≤ ${TARGET_MS} ms including the query embedding — ${hybrid.p95 <= TARGET_MS ? '**met**' : '**not met**'} (${fmt(hybrid.p95, 1)} ms).
`);
      } finally {
        await workload.database.close();
        if (!KEEP) fs.rmSync(dataDirFor(size), { recursive: true, force: true });
      }
    }
  } finally {
    await embedders.close();
  }
  if (BUILD_ONLY) return;
  writeReport(
    'search-embedded',
    `## bench:search:embedded — embedded PGlite, real documentation, query embedding included

Machine: ${machineLine()}. PGlite data directory on local disk, one process (the embedded default).
Corpus: python3.11-doc + nodejs-doc as in eval:search (16.3k chunks in two collections), grown to each size by
copying documents with jittered vectors (bench/search-eval/scale-corpus.ts). Queries: the eval's 139 questions,
each against its own corpus's collection, ${ROUNDS} rounds, k = 10, 1 client; every variant runs on every query in
turn (order rotated), so load from other work on the machine hits them alike. The machine is shared:
compare rows within one size (one run), and read the load averages; "sequential (before)" is the
composition of \`search()\` before the keyword half overlapped the embedding. Profile: docs/search.md, Speed.

${[...sections].sort(([a], [b]) => a - b).map(([size, text]) => `<!-- size ${size} -->\n${text}<!-- end size -->\n`).join('\n')}
Reproduce: \`npm run bench:search:embedded\` (\`-- --sizes 20000\` for one size).
`,
  );
}

await main();
