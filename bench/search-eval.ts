/**
 * eval:search — retrieval quality of keyword, semantic and hybrid search on a small labelled corpus
 * (bench/fixtures/search-eval/corpus.ts, written for this project), with the real default model.
 * Reports MRR@10 and recall@5 at file level: results are ranked chunks, a file's rank is the rank of
 * its first chunk (search puts each document's best chunk first, so this is the file ranking).
 *
 * Also reported for reference: whole-document keyword ranking (ts_rank_cd over each file's full
 * text), the baseline that chunk-level keyword and hybrid are compared against.
 *
 * Run: npm run eval:search
 */
import { sql } from 'kysely';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../src/ingest/embedding/embedding.registry.js';
import { cachedEmbedderLookup } from '../src/search/query-embedder.js';
import { anyWordsQueryText } from '../src/search/search.repository.js';
import { DEFAULT_SEARCH_TYPE, searchRequestSchema, type SearchType } from '../src/search/search.schema.js';
import { DEFAULT_TUNING, search, type SearchPrincipal, type SearchTuning } from '../src/search/search.service.js';
import { seedCollection } from '../src/search/search-fixtures.test.js';
import { createBenchDatabase, fmt, machineLine, writeReport } from './bench-support.js';
import { EVAL_DOCUMENTS, EVAL_QUERIES, type EvalQuery } from './fixtures/search-eval/corpus.js';

interface Variant {
  label: string;
  searchType?: SearchType;
  alpha?: number;
  tuning?: Partial<SearchTuning>;
  /** Whole-document baseline instead of the search service. */
  wholeDocument?: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'keyword, whole document (baseline)', wholeDocument: true },
  { label: 'keyword, chunk level, all words (websearch_to_tsquery AND)', searchType: 'keyword', tuning: { keywordMatch: 'all' } },
  { label: 'keyword, chunk level, any word (service default)', searchType: 'keyword' },
  { label: 'semantic', searchType: 'semantic' },
  { label: 'hybrid α = 0.3', searchType: 'hybrid', alpha: 0.3 },
  { label: 'hybrid α = 0.5', searchType: 'hybrid', alpha: 0.5 },
  { label: 'hybrid α = 0.7 (default)', searchType: 'hybrid', alpha: 0.7 },
  { label: 'hybrid α = 0.85', searchType: 'hybrid', alpha: 0.85 },
];

interface Scores {
  mrr: number;
  recall5: number;
  byKind: Record<EvalQuery['kind'], number>;
}

function score(rankings: string[][]): Scores {
  const kinds: EvalQuery['kind'][] = ['paraphrase', 'exact', 'mixed'];
  const rr = rankings.map((files, i) => {
    const rank = files.slice(0, 10).findIndex((f) => EVAL_QUERIES[i]!.relevant.includes(f));
    return rank < 0 ? 0 : 1 / (rank + 1);
  });
  const recall = rankings.map((files, i) => {
    const relevant = EVAL_QUERIES[i]!.relevant;
    return relevant.filter((f) => files.slice(0, 5).includes(f)).length / relevant.length;
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const byKind = Object.fromEntries(
    kinds.map((kind) => [kind, mean(rr.filter((_, i) => EVAL_QUERIES[i]!.kind === kind))]),
  ) as Record<EvalQuery['kind'], number>;
  return { mrr: mean(rr), recall5: mean(recall), byKind };
}

async function main() {
  const bench = await createBenchDatabase('semantik_eval_search');
  const embedders = cachedEmbedderLookup((model) => createEmbeddingProvider(model));
  try {
    const database = bench.database;
    const user = await inUnitOfWork(database, (tx) =>
      repositoriesFor(tx).users.insert({ username: 'eval', email: 'eval@example.test', hashed_password: 'x' }),
    );
    const principal: SearchPrincipal = { id: user.id, is_superuser: false };
    const collection = await seedCollection(database, {
      ownerId: user.id,
      name: 'search-eval',
      embedder: await embedders(DEFAULT_EMBEDDING_MODEL),
      documents: EVAL_DOCUMENTS.map((d) => ({ path: d.path, mimeType: 'text/markdown', chunks: d.paragraphs })),
    });
    const chunkCount = EVAL_DOCUMENTS.reduce((n, d) => n + d.paragraphs.length, 0);

    const results: Array<{ variant: Variant; scores: Scores }> = [];
    for (const variant of VARIANTS) {
      const rankings: string[][] = [];
      for (const q of EVAL_QUERIES) {
        if (variant.wholeDocument) {
          // Each file's chunks concatenated into one tsvector, same any-word query and ranking function.
          const { rows } = await sql<{ file_path: string }>`
            SELECT d.file_path
            FROM documents d
            JOIN chunks c ON c.document_id = d.id
            WHERE d.collection_id = ${collection.id}
            GROUP BY d.id
            HAVING to_tsvector('english', string_agg(c.text, ' ' ORDER BY c.chunk_index)) @@ to_tsquery('english', ${anyWordsQueryText(q.query)})
            ORDER BY ts_rank_cd(to_tsvector('english', string_agg(c.text, ' ' ORDER BY c.chunk_index)),
                                to_tsquery('english', ${anyWordsQueryText(q.query)}), 32) DESC, d.file_path
            LIMIT 10`.execute(database.db);
          rankings.push(rows.map((r) => r.file_path));
          continue;
        }
        const request = searchRequestSchema.parse({
          collection_uuids: [collection.id],
          query: q.query,
          k: 30,
          search_type: variant.searchType,
          hybrid_alpha: variant.alpha ?? 0.7,
        });
        const response = await search(database, principal, request, { embedders }, { ...DEFAULT_TUNING, ...variant.tuning });
        rankings.push([...new Set(response.results.map((r) => r.file_path))]);
      }
      const scores = score(rankings);
      results.push({ variant, scores });
      console.log(`${variant.label}: MRR@10 ${fmt(scores.mrr, 3)}, recall@5 ${fmt(scores.recall5, 3)}`);
    }

    const baseline = results[0]!.scores.mrr;
    const topMrr = Math.max(...results.filter((r) => !r.variant.wholeDocument).map((r) => r.scores.mrr));
    const best = results.filter((r) => !r.variant.wholeDocument && r.scores.mrr >= topMrr - 1e-9).map((r) => r.variant.label);
    const kinds = (k: EvalQuery['kind']) => EVAL_QUERIES.filter((q) => q.kind === k).length;
    const report = `## eval:search — retrieval quality (MRR@10, recall@5)

Machine: ${machineLine()}. Corpus: bench/fixtures/search-eval/corpus.ts — ${EVAL_DOCUMENTS.length} files,
${chunkCount} chunks (one paragraph each), ${EVAL_QUERIES.length} labelled queries (${kinds('paraphrase')} paraphrases, ${kinds('exact')} exact
rare terms, ${kinds('mixed')} mixed). Model: ${DEFAULT_EMBEDDING_MODEL}. File-level ranking: a file's rank is its first chunk's.

| variant | MRR@10 | recall@5 | MRR paraphrase | MRR exact | MRR mixed | MRR vs whole-document keyword |
|---|---:|---:|---:|---:|---:|---:|
${results
  .map(
    ({ variant, scores }) =>
      `| ${variant.label} | ${fmt(scores.mrr, 3)} | ${fmt(scores.recall5, 3)} | ${fmt(scores.byKind.paraphrase, 3)} | ${fmt(scores.byKind.exact, 3)} | ${fmt(scores.byKind.mixed, 3)} | ${scores.mrr >= baseline ? '+' : ''}${fmt(((scores.mrr - baseline) / baseline) * 100)}% |`,
  )
  .join('\n')}

Best on MRR@10 (${fmt(topMrr, 3)}): **${best.join('**, **')}**. The API's default \`search_type\` is **${DEFAULT_SEARCH_TYPE}** (α = 0.7).

Reproduce: \`npm run eval:search\`.
`;
    writeReport('search-eval', report);
  } finally {
    await embedders.close();
    await bench.drop();
  }
}

await main();
