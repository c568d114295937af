import { sql, type RawBuilder } from 'kysely';
import { toVectorLiteral } from '../chunks/chunk.repository.js';
import type { CollectionRow } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';
import { ValidationError } from '../errors/domain-errors.js';
import type { CompiledFilter } from './search-filters.js';
import type { QueryVector } from './query-embedder.js';
import type { SearchType } from './search.schema.js';

/**
 * Reciprocal rank fusion constant (Cormack et al. 2009): 60 is the published default and keeps one
 * list's #1 from drowning the other list (1/61 vs 1/62 — ranks matter, raw scores do not).
 */
export const RRF_K = 60;

/** `chunks.tsv` is generated with 'english'; the query must use the same configuration to match stems. */
const TEXT_SEARCH_CONFIG = sql`'english'::regconfig`;

export type KeywordMatch = 'any' | 'all';

export interface SearchQueryPlan {
  type: SearchType;
  collectionIds: readonly string[];
  k: number;
  /** Candidates taken from each side (semantic, keyword) before fusion and per-document diversification. */
  depth: number;
  scoreThreshold: number | null;
  hybridAlpha: number;
  includeContent: boolean;
  filter: CompiledFilter;
  /** Required for semantic and hybrid. */
  queryVector?: QueryVector;
  /** Required for keyword and hybrid. */
  keyword?: KeywordQuery;
}

export interface KeywordQuery {
  text: string;
  match: KeywordMatch;
  /** Lexemes too frequent to select candidates (any-word mode); empty = use every word. */
  commonLexemes: readonly string[];
}

/** A ranked chunk; collection name and model come from the collections the service already loaded. */
export interface SearchRow {
  chunk_id: string;
  document_id: string;
  collection_id: string;
  file_name: string;
  file_path: string;
  score: number;
  text: string | null;
  metadata: Record<string, unknown>;
}

export interface SearchableCollectionRow extends CollectionRow {
  /** A collection_permissions row exists for this user (or API key). */
  granted: boolean;
}

/** The dimension goes into SQL as a literal (`vector(512)` cannot be a bound parameter), so it is checked first. */
export function assertDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) {
    throw new ValidationError(`Embedding dimension must be an integer in 1..16000, got ${dimension}`);
  }
  return dimension;
}

/** The query's words: letters and digits only, so no tsquery operator can slip into `to_tsquery`. */
export function queryWords(query: string): string[] {
  return (query.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 100);
}

/** Query words joined with OR (for `to_tsquery`). */
export function anyWordsQueryText(query: string): string {
  return queryWords(query).join(' | ');
}

/**
 * `websearch_to_tsquery` honours what users type in search boxes ("quoted phrases", -exclusions,
 * `or`), but ANDs plain words, so a natural-language question whose words are not all in one chunk
 * finds nothing. Plain queries therefore match any of their words (ranked by ts_rank_cd, which
 * rewards chunks that cover more of them); queries that use websearch syntax keep it exactly.
 * bench/reports/search-eval.md measures both.
 */
export function usesWebsearchSyntax(query: string): boolean {
  return /"|(^|\s)-\S|(^|\s)or(\s|$)/i.test(query);
}

/**
 * The tsqueries of a keyword search: `match` selects the candidate chunks (via the GIN index),
 * `rank` scores them with ts_rank_cd.
 *
 * Any-word mode drops frequent words from `match` (they still count in `rank`): ts_rank_cd has to
 * read every matching row's tsvector (TOASTed, ~6–8 µs a row), and one word present in 7,500 of 100k
 * chunks made a 3-word query take 167 ms, while the chunks it adds only match that one frequent word
 * — low-value matches BM25 would rank last for their low IDF anyway. "Frequent" = in
 * `commonLexemes` (from pg_stats, see keyword-term-stats.ts). When every word is frequent, the
 * query matches chunks that contain all of them instead.
 */
function keywordQueries(keyword: KeywordQuery): { match: RawBuilder<unknown>; rank: RawBuilder<unknown> } {
  if (keyword.match === 'all' || usesWebsearchSyntax(keyword.text)) {
    const q = sql`websearch_to_tsquery(${TEXT_SEARCH_CONFIG}, ${keyword.text})`;
    return { match: q, rank: q };
  }
  const words = queryWords(keyword.text);
  const rank = sql`to_tsquery(${TEXT_SEARCH_CONFIG}, ${words.join(' | ')})`;
  if (keyword.commonLexemes.length === 0) return { match: rank, rank };
  const match = sql`to_tsquery(${TEXT_SEARCH_CONFIG}, coalesce(
      (SELECT string_agg(w, ' | ') FROM unnest(${words}::text[]) AS w
       WHERE cardinality(tsvector_to_array(to_tsvector(${TEXT_SEARCH_CONFIG}, w))) > 0
         AND NOT (tsvector_to_array(to_tsvector(${TEXT_SEARCH_CONFIG}, w)) && ${keyword.commonLexemes}::text[])),
      ${words.join(' & ')}))`;
  return { match: sql`(SELECT ${match})`, rank };
}

function semanticCandidates(plan: SearchQueryPlan): RawBuilder<unknown> {
  const vector = plan.queryVector;
  if (!vector) throw new Error('semantic search needs a query vector');
  const n = sql.lit(assertDimension(vector.dimension));
  if (vector.values.length !== vector.dimension) {
    throw new ValidationError(`Query vector has ${vector.values.length} values, expected ${vector.dimension}`);
  }
  // `embedding::vector(N) … WHERE dimension = N` is exactly the partial HNSW index's expression and
  // predicate, so the planner can use it; iterative scan (set per transaction) keeps the scan going
  // when joins and filters reject candidates, so LIMIT is still filled.
  return sql`
    SELECT e.chunk_id, c.document_id, e.embedding::vector(${n}) <=> ${toVectorLiteral(vector.values)}::vector(${n}) AS distance
    FROM chunk_embeddings e
    JOIN chunks c ON c.id = e.chunk_id
    JOIN collections col ON col.id = c.collection_id AND c.generation = col.active_generation
    ${plan.filter.needsDocuments ? sql`JOIN documents d ON d.id = c.document_id` : sql``}
    WHERE e.dimension = ${n} AND e.collection_id = ANY(${plan.collectionIds}::uuid[]) AND ${plan.filter.condition}
    ORDER BY distance
    LIMIT ${plan.depth}`;
}

function keywordCandidates(plan: SearchQueryPlan): RawBuilder<unknown> {
  if (!plan.keyword) throw new Error('keyword search needs the query text');
  const { match, rank } = keywordQueries(plan.keyword);
  // Normalization 32 = rank / (rank + 1): a score in [0, 1) whatever the chunk; chunks are of similar
  // length (the collection's chunk_size), so length normalization would change little.
  return sql`
    SELECT c.id AS chunk_id, c.document_id, ts_rank_cd(c.tsv, ${rank}, 32) AS rank
    FROM chunks c
    JOIN collections col ON col.id = c.collection_id AND c.generation = col.active_generation
    ${plan.filter.needsDocuments ? sql`JOIN documents d ON d.id = c.document_id` : sql``}
    WHERE c.collection_id = ANY(${plan.collectionIds}::uuid[]) AND c.tsv @@ ${match} AND ${plan.filter.condition}
    ORDER BY rank DESC, c.id
    LIMIT ${plan.depth}`;
}

/** CTEs ending in `scored (chunk_id, document_id, score)`, higher is better. */
function scoredCandidates(plan: SearchQueryPlan): RawBuilder<unknown> {
  switch (plan.type) {
    case 'semantic':
      return sql`
        semantic AS MATERIALIZED (${semanticCandidates(plan)}),
        scored AS (SELECT chunk_id, document_id, 1 - distance AS score FROM semantic)`;
    case 'keyword':
      return sql`
        keyword AS MATERIALIZED (${keywordCandidates(plan)}),
        scored AS (SELECT chunk_id, document_id, rank::float8 AS score FROM keyword)`;
    case 'hybrid': {
      // alpha/(60 + rank_semantic) + (1 - alpha)/(60 + rank_keyword), times 61 so that a chunk ranked
      // first by both sides scores 1.0 whatever alpha is; missing from a side contributes 0.
      const alpha = plan.hybridAlpha;
      return sql`
        semantic AS MATERIALIZED (${semanticCandidates(plan)}),
        keyword AS MATERIALIZED (${keywordCandidates(plan)}),
        semantic_ranked AS (
          SELECT chunk_id, document_id, row_number() OVER (ORDER BY distance, chunk_id) AS r FROM semantic),
        keyword_ranked AS (
          SELECT chunk_id, document_id, row_number() OVER (ORDER BY rank DESC, chunk_id) AS r FROM keyword),
        scored AS (
          SELECT coalesce(s.chunk_id, k.chunk_id) AS chunk_id,
                 coalesce(s.document_id, k.document_id) AS document_id,
                 (coalesce(${alpha}::float8 / (${sql.lit(RRF_K)} + s.r), 0)
                  + coalesce((1 - ${alpha}::float8) / (${sql.lit(RRF_K)} + k.r), 0)) * ${sql.lit(RRF_K + 1)} AS score
          FROM semantic_ranked s FULL OUTER JOIN keyword_ranked k ON k.chunk_id = s.chunk_id)`;
    }
  }
}

/**
 * One statement per search: candidates → score threshold → per-document diversification (each
 * document's best chunk first, then the rest by score, so one long file cannot fill the top k) →
 * only the k winners are joined with their chunk text and document.
 */
export function searchStatement(plan: SearchQueryPlan): RawBuilder<SearchRow> {
  const threshold = plan.scoreThreshold === null ? sql`true` : sql`s.score >= ${plan.scoreThreshold}::float8`;
  return sql<SearchRow>`
    WITH ${scoredCandidates(plan)},
    top AS (
      SELECT chunk_id, document_id, score, document_rank
      FROM (
        SELECT s.chunk_id, s.document_id, s.score,
               row_number() OVER (PARTITION BY s.document_id ORDER BY s.score DESC, s.chunk_id) AS document_rank
        FROM scored s
        WHERE ${threshold}) ranked
      ORDER BY document_rank > 1, score DESC, chunk_id
      LIMIT ${plan.k})
    SELECT t.chunk_id, t.document_id, c.collection_id, d.file_name, d.file_path, t.score,
           ${plan.includeContent ? sql`c.text` : sql`NULL::text`} AS text,
           d.metadata || c.metadata || jsonb_strip_nulls(jsonb_build_object('chunk_index', c.chunk_index, 'page', c.page)) AS metadata
    FROM top t
    JOIN chunks c ON c.id = t.chunk_id
    JOIN documents d ON d.id = t.document_id
    ORDER BY t.document_rank > 1, t.score DESC, t.chunk_id`;
}

export class SearchRepository {
  constructor(private readonly tx: Tx) {}

  /** The requested collections that exist, each with whether a permission row grants this user/key access. */
  async findCollectionsWithGrant(ids: readonly string[], userId: number, apiKeyId?: string): Promise<SearchableCollectionRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.tx
      .selectFrom('collections as col')
      .selectAll('col')
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('collection_permissions as p')
              .select(sql`1`.as('one'))
              .whereRef('p.collection_id', '=', 'col.id')
              .where((w) => (apiKeyId ? w.or([w('p.user_id', '=', userId), w('p.api_key_id', '=', apiKeyId)]) : w('p.user_id', '=', userId))),
          )
          .as('granted'),
      )
      .where('col.id', 'in', ids)
      .execute();
    return rows as SearchableCollectionRow[];
  }

  /**
   * Per-transaction HNSW knobs (SET LOCAL semantics: `set_config(…, true)` ends with the transaction,
   * so a pooled connection never carries them to the next request). One round trip for both.
   */
  async setVectorScanOptions(efSearch: number): Promise<void> {
    if (!Number.isInteger(efSearch) || efSearch < 1 || efSearch > 1000) throw new Error(`hnsw.ef_search must be 1..1000, got ${efSearch}`);
    await sql`SELECT set_config('hnsw.ef_search', ${String(efSearch)}, true),
                     set_config('hnsw.iterative_scan', 'relaxed_order', true)`.execute(this.tx);
  }

  async search(plan: SearchQueryPlan): Promise<SearchRow[]> {
    const result = await searchStatement(plan).execute(this.tx);
    return result.rows;
  }

  /** EXPLAIN of the search statement (tests and the bench check that the HNSW index is used). */
  async explain(plan: SearchQueryPlan): Promise<string> {
    const result = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${searchStatement(plan)}`.execute(this.tx);
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  }
}
