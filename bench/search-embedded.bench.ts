/**
 * bench:search:embedded — search latency on the embedded default (PGlite in a data directory),
 * including the query embedding, on real documentation: both eval corpora (python3.11-doc +
 * nodejs-doc, ~16k chunks) indexed with the product's pipeline, the eval's 139 questions as queries.
 * Vectors of the corpus come from the eval's cache (bench/.cache); query embeddings are computed
 * by the real model on every call. Run `npm run eval:search` once first to fill the cache quickly.
 *
 * Run: npm run bench:search:embedded
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../src/ingest/embedding/embedding.registry.js';
import { cachedEmbedderLookup } from '../src/search/query-embedder.js';
import { searchRequestSchema, type SearchType } from '../src/search/search.schema.js';
import { search } from '../src/search/search.service.js';
import { fmt, machineLine, writeReport } from './bench-support.js';
import { CachedEmbedder } from './search-eval/embedding-cache.js';
import { CACHE_DIR, EVAL_CORPORA, materializeCorpus } from './search-eval/corpora.js';
import { Fts5Baseline } from './search-eval/fts5-baseline.js';
import { ingestCorpus } from './search-eval/ingest-corpus.js';

const ROUNDS = 2;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-bench-embedded-'));
  const config = loadConfig({ SEMANTIK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: undefined });
  const database = await openDatabase(config);
  const provider = await createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL);
  const cached = new CachedEmbedder(provider, path.join(CACHE_DIR, 'vectors'));
  // Queries are embedded by the model itself on every call: the latency includes it.
  const embedders = cachedEmbedderLookup(async () => provider);
  try {
    await migrateToLatest(database.db);
    const user = await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x' }));
    const collectionIds: string[] = [];
    const queries: string[] = [];
    let chunks = 0;
    const loadStart = performance.now();
    for (const corpus of EVAL_CORPORA) {
      const baseline = new Fts5Baseline();
      const ingested = await ingestCorpus(database, { ownerId: user.id, name: corpus.id, dir: materializeCorpus(corpus), embedder: cached, baseline });
      baseline.close();
      collectionIds.push(ingested.collectionId);
      chunks += ingested.chunks;
      const file = path.resolve(import.meta.dirname, 'fixtures', 'search-eval', corpus.queriesFile);
      queries.push(...(JSON.parse(fs.readFileSync(file, 'utf8')) as { queries: Array<{ query: string }> }).queries.map((q) => q.query));
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const principal = { id: user.id, is_superuser: false };
    const run = (query: string, search_type: SearchType, collection: string) =>
      search(database, principal, searchRequestSchema.parse({ collection_uuids: [collection], query, k: 10, search_type }), { embedders });

    for (const q of queries.slice(0, 20)) await run(q, 'hybrid', collectionIds[0]!); // warm the model and caches
    const rows: string[] = [];
    for (const search_type of ['keyword', 'semantic', 'hybrid'] as const) {
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, q] of queries.entries()) {
          const started = performance.now();
          await run(q, search_type, collectionIds[i % collectionIds.length]!);
          times.push(performance.now() - started);
        }
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${search_type}${search_type === 'keyword' ? ' (no embedding)' : ' (with query embedding)'} | ${fmt(percentile(times, 50), 1)} | ${fmt(percentile(times, 95), 1)} | ${times.length} |`);
      console.log(rows.at(-1));
    }
    writeReport(
      'search-embedded',
      `## bench:search:embedded — embedded PGlite, real documentation, query embedding included

Machine: ${machineLine()}. PGlite data directory on local disk, one process (the embedded default).
Corpus: python3.11-doc + nodejs-doc as in eval:search, **${fmt(chunks)} chunks** in two collections (loaded in ${fmt(loadSeconds, 0)} s
with cached vectors). Queries: the eval's ${queries.length} questions, each against its own corpus's collection, ${ROUNDS} rounds,
\`search()\` end to end (permission check, ${DEFAULT_EMBEDDING_MODEL} query embedding, one search statement), k = 10, 1 client.

| search | p50 ms | p95 ms | queries |
|---|---:|---:|---:|
${rows.join('\n')}

Target (issue 14): hybrid p95 ≤ 50 ms at 20k chunks including the query embedding.
Reproduce: \`npm run bench:search:embedded\`.
`,
    );
  } finally {
    await embedders.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
