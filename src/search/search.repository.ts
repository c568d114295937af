import { sql, type RawBuilder } from 'kysely';
import { mayRead } from '../access/collection-access.rule.js';
import type { AccessPrincipal } from '../access/principal.js';
import { toVectorLiteral } from '../chunks/chunk.repository.js';
import type { CollectionRow } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';
import { ValidationError } from '../errors/domain-errors.js';
import type { CompiledFilter } from './search-filters.js';
import type { QueryVector } from './query-embedder.js';
import type { SearchType } from './search.schema.js';
import { anyLexemeTsquery, keywordCtes, TEXT_SEARCH_CONFIG, type KeywordQuery } from './keyword-ranking.js';

export type { KeywordMatch, KeywordQuery } from './keyword-ranking.js';

export interface HybridFusion {
  rrfK: number;
  level: 'chunk' | 'document';
  /** 'rrf' fuses ranks; 'score' fuses each side's scores min–max normalised over its candidates (document level). */
  method?: 'rrf' | 'score';
}

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
  /** The query as typed (snippets are marked with its words whatever the search type). */
  queryText: string;
  /** Hybrid only: RRF constant and whether chunk or document ranks are fused. */
  fusion: HybridFusion;
  /**
   * Hybrid only: the keyword side already ranked by `findKeywordCandidates` (while the query was
   * being embedded); the statement then fuses these rows instead of running the keyword CTEs again.
   */
  keywordCandidates?: readonly KeywordCandidate[];
}

/** One row of the keyword side: what the `keyword` CTE holds (the depth best chunks by BM25F). */
export interface KeywordCandidate {
  chunk_id: string;
  document_id: string;
  rank: number;
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
  /** ts_headline of the chunk with SNIPPET_MARK_START/END around matched terms; null if none matched. */
  headline: string | null;
}

/** Control characters delimit highlighted terms in `headline` (removed from the text first, so they are unambiguous). */
export const SNIPPET_MARK_START = '\u0001';
export const SNIPPET_MARK_END = '\u0002';

/** A collection the caller may search. */
export type SearchableCollectionRow = CollectionRow;

/** The dimension goes into SQL as a literal (`vector(512)` cannot be a bound parameter), so it is checked first. */
export function assertDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) {
    throw new ValidationError(`Embedding dimension must be an integer in 1..16000, got ${dimension}`);
  }
  return dimension;
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
  if (plan.keywordCandidates) {
    // float8 survives the round trip exactly (shortest round-trip text both ways), so the fused
    // ranks and their chunk_id tie-break are those of the in-statement CTE.
    const rows = plan.keywordCandidates;
    return sql`
      keyword AS MATERIALIZED (
        SELECT * FROM unnest(${rows.map((r) => r.chunk_id)}::uuid[], ${rows.map((r) => r.document_id)}::uuid[], ${rows.map((r) => r.rank)}::float8[])
          AS k(chunk_id, document_id, rank))`;
  }
  return keywordOnlyCtes(plan);
}

function keywordOnlyCtes(plan: SearchQueryPlan): RawBuilder<unknown> {
  if (!plan.keyword) throw new Error('keyword search needs the query text');
  return keywordCtes({ collectionIds: plan.collectionIds, depth: plan.depth, filter: plan.filter, keyword: plan.keyword });
}

/**
 * CTEs ending in `scored (chunk_id, document_id, score, document_score)`, higher is better; a
 * document's best chunk is listed with the document's score.
 */
function scoredCandidates(plan: SearchQueryPlan): RawBuilder<unknown> {
  switch (plan.type) {
    case 'semantic':
      return sql`
        semantic AS MATERIALIZED (${semanticCandidates(plan)}),
        scored AS (SELECT chunk_id, document_id, 1 - distance AS score, max(1 - distance) OVER (PARTITION BY document_id) AS document_score FROM semantic)`;
    case 'keyword':
      return sql`
        ${keywordCandidates(plan)},
        scored AS (SELECT chunk_id, document_id, rank::float8 AS score, max(rank::float8) OVER (PARTITION BY document_id) AS document_score FROM keyword)`;
    case 'hybrid': {
      if (plan.fusion.method === 'score') return scoreFusion(plan);
      // Reciprocal rank fusion: α/(K + rank_semantic) + (1 − α)/(K + rank_keyword), times K + 1 so that
      // first on both sides scores 1.0 whatever α is; missing from a side contributes 0. Chunk level
      // fuses chunk ranks. Document level (default) fuses each document's rank on each side (the rank
      // of its best chunk among documents) and orders documents by that; its chunks follow by their
      // own fused score. Several chunks of one file no longer push other files down a side's list.
      const alpha = plan.hybridAlpha;
      const { rrfK, level } = plan.fusion;
      const K = sql.lit(rrfK);
      const fused = (s: RawBuilder<unknown>, k: RawBuilder<unknown>) =>
        sql`(coalesce(${alpha}::float8 / (${K} + ${s}), 0) + coalesce((1 - ${alpha}::float8) / (${K} + ${k}), 0)) * ${sql.lit(rrfK + 1)}`;
      const ranked = (source: 'semantic' | 'keyword') => sql`
          SELECT chunk_id, document_id, r, dense_rank() OVER (ORDER BY best_r) AS dr
          FROM (SELECT chunk_id, document_id, r, min(r) OVER (PARTITION BY document_id) AS best_r
                FROM (SELECT chunk_id, document_id,
                             row_number() OVER (ORDER BY ${source === 'semantic' ? sql`distance, chunk_id` : sql`rank DESC, chunk_id`}) AS r
                      FROM ${sql.table(source)}) a) b`;
      return sql`
        semantic AS MATERIALIZED (${semanticCandidates(plan)}),
        ${keywordCandidates(plan)},
        semantic_ranked AS (${ranked('semantic')}),
        keyword_ranked AS (${ranked('keyword')}),
        fused AS (
          SELECT coalesce(s.chunk_id, k.chunk_id) AS chunk_id, coalesce(s.document_id, k.document_id) AS document_id,
                 ${fused(sql`s.r`, sql`k.r`)} AS score, s.dr AS semantic_dr, k.dr AS keyword_dr
          FROM semantic_ranked s FULL OUTER JOIN keyword_ranked k ON k.chunk_id = s.chunk_id),
        scored AS (
          SELECT chunk_id, document_id, score,
                 ${
                   level === 'document'
                     ? fused(sql`min(semantic_dr) OVER (PARTITION BY document_id)`, sql`min(keyword_dr) OVER (PARTITION BY document_id)`)
                     : sql`max(score) OVER (PARTITION BY document_id)`
                 } AS document_score
          FROM fused)`;
    }
  }
}

/**
 * Score fusion (CombSUM of min–max normalised scores): each side's chunk and document scores are
 * scaled to [0, 1] over that side's candidates; fused = α · semantic + (1 − α) · keyword, 0 for a side
 * that did not return the chunk or document.
 */
function scoreFusion(plan: SearchQueryPlan): RawBuilder<unknown> {
  const alpha = plan.hybridAlpha;
  const normalised = (x: string) =>
    sql`coalesce((${sql.ref(x)} - min(${sql.ref(x)}) OVER ()) / nullif(max(${sql.ref(x)}) OVER () - min(${sql.ref(x)}) OVER (), 0), 1)`;
  const fuse = (s: RawBuilder<unknown>, k: RawBuilder<unknown>) => sql`${alpha}::float8 * coalesce(${s}, 0) + (1 - ${alpha}::float8) * coalesce(${k}, 0)`;
  return sql`
    semantic AS MATERIALIZED (${semanticCandidates(plan)}),
    ${keywordCandidates(plan)},
    semantic_scores AS (SELECT chunk_id, document_id, 1 - distance AS sim, max(1 - distance) OVER (PARTITION BY document_id) AS document_sim FROM semantic),
    semantic_norm AS (SELECT chunk_id, document_id, ${normalised('sim')} AS s, ${normalised('document_sim')} AS ds FROM semantic_scores),
    keyword_scores AS (SELECT chunk_id, document_id, rank, max(rank) OVER (PARTITION BY document_id) AS document_rank FROM keyword),
    keyword_norm AS (SELECT chunk_id, document_id, ${normalised('rank')} AS s, ${normalised('document_rank')} AS ds FROM keyword_scores),
    fused AS (
      SELECT coalesce(s.chunk_id, k.chunk_id) AS chunk_id, coalesce(s.document_id, k.document_id) AS document_id,
             ${fuse(sql`s.s`, sql`k.s`)} AS score, s.ds AS semantic_ds, k.ds AS keyword_ds
      FROM semantic_norm s FULL OUTER JOIN keyword_norm k ON k.chunk_id = s.chunk_id),
    scored AS (
      SELECT chunk_id, document_id, score,
             ${fuse(sql`max(semantic_ds) OVER (PARTITION BY document_id)`, sql`max(keyword_ds) OVER (PARTITION BY document_id)`)} AS document_score
      FROM fused)`;
}

/**
 * The best passage of a winning chunk with the query's terms marked: ts_headline with the query's
 * lexemes OR'd (the same tokenizer as ranking), two fragments of 12–30 words. Only the k winners pay
 * for it (~0.1–0.3 ms a chunk).
 */
function snippetExpression(): RawBuilder<unknown> {
  const options = 'StartSel="\u0001", StopSel="\u0002", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "';
  return sql`CASE WHEN sq.q IS NULL THEN NULL ELSE
               ts_headline(${TEXT_SEARCH_CONFIG}, translate(c.text, ${SNIPPET_MARK_START + SNIPPET_MARK_END}, ''), sq.q, ${options}) END`;
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
      SELECT chunk_id, document_id, CASE WHEN document_rank = 1 THEN document_score ELSE score END AS score, document_rank
      FROM (
        SELECT s.chunk_id, s.document_id, s.score, s.document_score,
               row_number() OVER (PARTITION BY s.document_id ORDER BY s.score DESC, s.chunk_id) AS document_rank
        FROM scored s
        WHERE ${threshold}) ranked
      ORDER BY document_rank > 1, CASE WHEN document_rank = 1 THEN document_score ELSE score END DESC, chunk_id
      LIMIT ${plan.k}),
    -- Built once per statement, not once per result row.
    snippet_query AS MATERIALIZED (SELECT ${anyLexemeTsquery(plan.queryText)} AS q)
    SELECT t.chunk_id, t.document_id, c.collection_id, d.file_name, d.file_path, t.score,
           ${plan.includeContent ? sql`c.text` : sql`NULL::text`} AS text,
           d.metadata || c.metadata || jsonb_strip_nulls(jsonb_build_object('chunk_index', c.chunk_index, 'page', c.page)) AS metadata,
           ${snippetExpression()} AS headline
    FROM top t
    CROSS JOIN snippet_query sq
    JOIN chunks c ON c.id = t.chunk_id
    JOIN documents d ON d.id = t.document_id
    ORDER BY t.document_rank > 1, t.score DESC, t.chunk_id`;
}

export class SearchRepository {
  constructor(private readonly tx: Tx) {}

  /** The requested collections that exist and that the principal may read (access/collection-access.rule.ts). */
  findReadableCollections(ids: readonly string[], principal: AccessPrincipal): Promise<SearchableCollectionRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.tx.selectFrom('collections').selectAll().where('id', 'in', ids).where(mayRead(principal)).execute();
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

  /** The keyword side of a hybrid search on its own (see SearchQueryPlan.keywordCandidates). */
  async findKeywordCandidates(plan: SearchQueryPlan): Promise<KeywordCandidate[]> {
    const result = await sql<KeywordCandidate>`WITH ${keywordOnlyCtes(plan)} SELECT chunk_id, document_id, rank FROM keyword`.execute(this.tx);
    return result.rows;
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
