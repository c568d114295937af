/**
 * Experiment, not a product path (bench/reports/search-eval-experiments.md, "Title and heading
 * vectors"): do short vectors of a document's title, or of each chunk's "title > headings" line, add
 * a semantic signal that the 1,000-character chunk vectors lack? USE-lite was trained on sentence
 * pairs, so a short title might match a paraphrased question better than a long chunk does.
 * Indexes both eval corpora like eval:search, embeds the titles and heading lines (cached), ranks
 * files by their cosine to the query, and fuses those lists with the product's rankings by RRF.
 *
 * Run: npx tsx bench/search-eval-context-vectors.ts   (after npm run eval:search has filled the cache)
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../src/ingest/embedding/embedding.registry.js';
import { dot, l2NormalizeInPlace } from '../src/ingest/embedding/vector.math.js';
import { cachedEmbedderLookup } from '../src/search/query-embedder.js';
import { searchRequestSchema, type SearchType } from '../src/search/search.schema.js';
import { DEFAULT_TUNING, search, type SearchPrincipal } from '../src/search/search.service.js';
import { createBenchDatabase } from './bench-support.js';
import { CachedEmbedder } from './search-eval/embedding-cache.js';
import { CACHE_DIR, EVAL_CORPORA, materializeCorpus } from './search-eval/corpora.js';
import { Fts5Baseline } from './search-eval/fts5-baseline.js';
import { ingestCorpus } from './search-eval/ingest-corpus.js';
import { meanScores, scoreRanking } from './search-eval/metrics.js';

/** A unit-length copy: the cached embedder hands out its stored vectors, which must stay as they are. */
const unit = (v: ArrayLike<number>) => l2NormalizeInPlace(Float32Array.from(v));

function rrf(lists: Array<{ ranking: string[]; weight: number }>, k = 20): string[] {
  const score = new Map<string, number>();
  for (const { ranking, weight } of lists) ranking.forEach((f, i) => score.set(f, (score.get(f) ?? 0) + weight / (k + i + 1)));
  return [...score].sort((a, b) => b[1] - a[1]).map(([f]) => f);
}

const bench = await createBenchDatabase('semantik_eval_title_exp');
const provider = await createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL);
const embedder = new CachedEmbedder(provider, path.join(CACHE_DIR, 'vectors'));
const embedders = cachedEmbedderLookup(async () => embedder);
try {
  const database = bench.database;
  const user = await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.insert({ username: 'eval', email: 'eval@example.test', hashed_password: 'x' }));
  const principal: SearchPrincipal = { id: user.id, is_superuser: false };
  for (const corpus of EVAL_CORPORA) {
    const queries = (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, 'fixtures', 'search-eval', corpus.queriesFile), 'utf8')) as {
      queries: Array<{ query: string; relevant: string[] }>;
    }).queries;
    const ingested = await ingestCorpus(database, { ownerId: user.id, name: corpus.id, dir: materializeCorpus(corpus), embedder, baseline: new Fts5Baseline() });
    const rows = (
      await sql<{ file_name: string; context: string; chunk_index: number; text: string }>`
        SELECT d.file_name, c.context, c.chunk_index, c.text FROM chunks c JOIN documents d ON d.id = c.document_id
        WHERE c.collection_id = ${ingested.collectionId}`.execute(database.db)
    ).rows;
    // Per document: title line (first line of chunk 0's context); per chunk: context's title > headings.
    const titleOf = new Map<string, string>();
    const sectionsOf = new Map<string, Set<string>>();
    for (const r of rows) {
      const parts = r.context.split(' \n ');
      if (r.chunk_index === 0) titleOf.set(r.file_name, parts[0]!);
      const heads = parts.slice(0, Math.max(1, parts.length - 2)).join(' > ');
      if (!sectionsOf.has(r.file_name)) sectionsOf.set(r.file_name, new Set());
      sectionsOf.get(r.file_name)!.add(heads);
    }
    const files = [...titleOf.keys()];
    // Every chunk's stored vector, for exact per-document aggregations of the semantic side.
    const chunkVectors = (
      await sql<{ file_name: string; embedding: string }>`
        SELECT d.file_name, e.embedding::text AS embedding FROM chunk_embeddings e
        JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
        WHERE c.collection_id = ${ingested.collectionId}`.execute(database.db)
    ).rows.map((r) => ({ file: r.file_name, v: unit(JSON.parse(r.embedding) as number[]) }));
    const titleVec = new Map<string, Float32Array>();
    const tv = await embedder.embed(files.map((f) => titleOf.get(f)!));
    files.forEach((f, i) => titleVec.set(f, unit(tv[i]!)));
    const sectionTexts = [...new Set([...sectionsOf.values()].flatMap((s) => [...s]))];
    const sv = new Map<string, Float32Array>();
    for (let i = 0; i < sectionTexts.length; i += 256) {
      const part = sectionTexts.slice(i, i + 256);
      (await embedder.embed(part)).forEach((v, j) => sv.set(part[j]!, unit(v)));
    }
    console.log(corpus.id, 'files', files.length, 'sections', sectionTexts.length, 'sample titles', files.slice(0, 3).map((f) => titleOf.get(f)));
    const lists: Record<string, string[][]> = {};
    const add = (name: string, r: string[]) => (lists[name] ??= []).push(r);
    for (const q of queries) {
      const qv = unit((await embedder.embed([q.query]))[0]!);
      const byTitle = files.map((f) => [f, dot(qv, titleVec.get(f)!)] as const).sort((a, b) => b[1] - a[1]).map(([f]) => f);
      const bySection = files
        .map((f) => [f, Math.max(...[...sectionsOf.get(f)!].map((s) => dot(qv, sv.get(s)!)))] as const)
        .sort((a, b) => b[1] - a[1])
        .map(([f]) => f);
      const run = async (searchType: SearchType) => {
        const request = searchRequestSchema.parse({ collection_uuids: [ingested.collectionId], query: q.query, k: 50, search_type: searchType });
        const response = await search(database, principal, request, { embedders }, DEFAULT_TUNING);
        return [...new Set(response.results.map((r) => r.file_name))];
      };
      const perFile = new Map<string, number[]>();
      for (const c of chunkVectors) {
        const list = perFile.get(c.file) ?? [];
        list.push(dot(qv, c.v));
        perFile.set(c.file, list);
      }
      const aggregated = (f: (sims: number[]) => number) =>
        [...perFile].map(([file, sims]) => [file, f(sims.sort((a, b) => b - a))] as const).sort((a, b) => b[1] - a[1]).map(([file]) => file).slice(0, 50);
      const semMax = aggregated((x) => x[0]!);
      const semTop2 = aggregated((x) => (x[0]! + (x[1] ?? x[0]!)) / 2);
      const semTop3 = aggregated((x) => x.slice(0, 3).reduce((a, b) => a + b, 0) / Math.min(3, x.length));
      const semLse = aggregated((x) => Math.log(x.reduce((a, b) => a + Math.exp(b / 0.05), 0)) * 0.05);
      // What the product could do: only the 20 / 50 nearest chunks are known; a document's missing
      // second chunk stands in as the weakest candidate's similarity.
      for (const depth of [20, 50]) {
        const candidates = chunkVectors.map((c) => ({ file: c.file, sim: dot(qv, c.v) })).sort((a, b) => b.sim - a.sim).slice(0, depth);
        const floor = candidates[candidates.length - 1]!.sim;
        const byFile = new Map<string, number[]>();
        for (const c of candidates) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c.sim]);
        add(
          `semantic top-2 over ${depth} candidates`,
          [...byFile].map(([file, sims]) => [file, (sims[0]! + (sims[1] ?? floor)) / 2] as const).sort((a, b) => b[1] - a[1]).map(([file]) => file),
        );
      }
      add('semantic exact max', semMax);
      add('semantic exact top-2 mean', semTop2);
      add('semantic exact top-3 mean', semTop3);
      add('semantic exact log-sum-exp T 0.05', semLse);
      const kw = await run('keyword');
      for (const w of [0.1, 0.2, 0.3]) {
        add(`kw+sem exact max ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: semMax, weight: w }]));
        add(`kw+sem top-2 ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: semTop2, weight: w }]));
        add(`kw+sem lse ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: semLse, weight: w }]));
      }
      const sem = await run('semantic');
      const hyb = await run('hybrid');
      add('keyword', kw);
      add('semantic', sem);
      add('hybrid', hyb);
      add('title', byTitle);
      add('section', bySection);
      for (const w of [0.1, 0.2, 0.3, 0.5]) {
        add(`hybrid+title ${w}`, rrf([{ ranking: hyb, weight: 1 }, { ranking: byTitle.slice(0, 50), weight: w }]));
        add(`hybrid+section ${w}`, rrf([{ ranking: hyb, weight: 1 }, { ranking: bySection.slice(0, 50), weight: w }]));
        add(`kw+sem ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: sem, weight: w }]));
        add(`kw+title ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: byTitle.slice(0, 50), weight: w }]));
        add(`kw+section ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: bySection.slice(0, 50), weight: w }]));
        add(`kw+sem+section ${w}`, rrf([{ ranking: kw, weight: 1 }, { ranking: sem, weight: w }, { ranking: bySection.slice(0, 50), weight: w }]));
      }
    }
    for (const [name, rankings] of Object.entries(lists)) {
      const m = meanScores(rankings.map((r, i) => scoreRanking(r, queries[i]!.relevant)));
      console.log(`${corpus.id}\t${name}\tMRR ${m.rr10.toFixed(3)}\tR@5 ${m.recall5.toFixed(3)}`);
    }
  }
} finally {
  await embedders.close();
  await bench.drop();
}
