import type { ApiKeyScope } from '../api-keys/api-key.scope.js';
import type { Database } from '../db/database.js';
import { inUnitOfWork, type Tx } from '../db/unit-of-work.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors/domain-errors.js';
import { embedQuery, type QueryEmbedderLookup, type QueryVector } from './query-embedder.js';
import { compileMetadataFilter } from './search-filters.js';
import { SearchRepository, type KeywordCandidate, type KeywordMatch, type SearchableCollectionRow, type SearchQueryPlan, type SearchRow, type HybridFusion } from './search.repository.js';
import { snippetFromHeadline } from './search-snippet.js';
import { CONTRACT_HYBRID_ALPHA, defaultHybridAlpha } from './hybrid-calibration.js';
import { BM25, FEEDBACK, MAX_ROWS_PER_MATCH_TERM, type Bm25Parameters, type PseudoRelevanceFeedback } from './keyword-ranking.js';
import type { SearchRequest, SearchResponse, SearchResult, SearchType } from './search.schema.js';

/** Who is searching: the authenticated user, and the API key (and its scope) when the request used one. */
export interface SearchPrincipal {
  id: number;
  is_superuser: boolean;
  apiKeyId?: string;
  apiKeyScope?: ApiKeyScope;
}

export interface SearchDeps {
  /** Cached per model (see cachedEmbedderLookup): model load is slow, one query embedding is fast. */
  embedders: QueryEmbedderLookup;
}

/** Tuning knobs; the defaults are what bench/reports/search*.md measured. Tests and the eval override them. */
export interface SearchTuning {
  /** Minimum HNSW ef_search; raised to the candidate depth when that is larger (pgvector caps it at 1000). */
  efSearchFloor: number;
  /** Plain keyword queries match any word (default) or all words (websearch_to_tsquery's AND). */
  keywordMatch: KeywordMatch;
  /** A lexeme in more chunks than this does not select keyword candidates alone (keyword-ranking.ts). */
  matchTermCap: number;
  bm25: Bm25Parameters;
  feedback: PseudoRelevanceFeedback;
  fusion: HybridFusion;
}

/**
 * ef_search 64: on the 100k-chunk bench (bench/reports/search.md, ef_search sweep) recall@10 against
 * exact search was 0.999 at 64 and at 100, 0.975–0.989 at pgvector's default 40, while 100 cost ~2×
 * the latency of 40. The candidate depth (50 for k = 10) raises it when k is larger.
 */
export const DEFAULT_TUNING: SearchTuning = {
  efSearchFloor: 64,
  keywordMatch: 'any',
  matchTermCap: MAX_ROWS_PER_MATCH_TERM,
  bm25: BM25,
  feedback: FEEDBACK,
  // K 20: with α 0.1 it scored best of 5 / 20 / 60 (bench/reports/search-eval.md sweep); see hybrid-calibration.ts.
  fusion: { rrfK: 20, level: 'document' },
};

/**
 * Candidates taken before diversification (and, for hybrid, from each side before fusion). Hybrid
 * needs depth on both sides for ranks to overlap: max(4k, 50). A single list only needs room for
 * k distinct documents after the per-document reordering: max(2k, 20) — fewer rows to fetch and
 * join (the semantic statement's cost over the raw index scan is mostly those per-candidate joins).
 */
export function candidateDepth(k: number, searchType: SearchType): number {
  return searchType === 'hybrid' ? Math.max(k * 4, 50) : Math.max(k * 2, 20);
}

/** ef_search: at least the floor, at least the depth (below it HNSW returns fewer rows), ≤ pgvector's 1000. */
export function efSearchFor(depth: number, tuning: SearchTuning = DEFAULT_TUNING): number {
  return Math.min(1000, Math.max(tuning.efSearchFloor, depth));
}

function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/**
 * The collections this principal may search, in request order. Unknown and invisible collections
 * are the same 404 (the contract: never leak that another user's private collection exists).
 */
export async function loadSearchableCollections(
  tx: Tx,
  principal: SearchPrincipal,
  collectionIds: readonly string[],
): Promise<SearchableCollectionRow[]> {
  const ids = uniqueIds(collectionIds);
  const { id, is_superuser, apiKeyId, apiKeyScope } = principal;
  const rows = await new SearchRepository(tx).findReadableCollections(ids, { user: { id, is_superuser }, apiKeyId, apiKeyScope });
  const byId = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
  const missing = ids.filter((collectionId) => !byId.has(collectionId));
  if (missing.length > 0) {
    throw new NotFoundError(`Collection${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`, { collection_ids: missing });
  }
  return ids.map((id) => byId.get(id)!);
}

/**
 * Semantic scores are cosine similarities of one model's vectors; vectors of different models are
 * not comparable, so collections searched together semantically must share the model.
 */
export function sharedEmbeddingModel(collections: readonly SearchableCollectionRow[]): string {
  const models = new Map<string, string[]>();
  for (const c of collections) models.set(c.embedding_model, [...(models.get(c.embedding_model) ?? []), c.name]);
  if (models.size > 1) {
    const groups = [...models].map(([model, names]) => `${names.join(', ')} (${model})`).join('; ');
    throw new ValidationError(
      `Collections searched together must use the same embedding model for semantic or hybrid search: ${groups}. ` +
        `Search them separately, or use search_type "keyword".`,
      { models: Object.fromEntries(models) },
    );
  }
  return collections[0]!.embedding_model;
}

function toResult(row: SearchRow, collection: SearchableCollectionRow): SearchResult {
  return {
    document_id: row.document_id,
    chunk_id: row.chunk_id,
    collection_id: row.collection_id,
    collection_name: collection.name,
    file_name: row.file_name,
    file_path: row.file_path,
    score: Number(row.score),
    text: row.text,
    metadata: row.metadata ?? {},
    embedding_model: collection.embedding_model,
    chunk_index: typeof row.metadata?.chunk_index === 'number' ? row.metadata.chunk_index : null,
    snippet: snippetFromHeadline(row.headline),
  };
}

export interface SearchInTransactionOptions {
  tuning?: SearchTuning;
  /** Hybrid only: the keyword side ranked earlier by `findKeywordCandidatesFor`. */
  keyword?: PrecomputedKeyword;
}

/** Keyword candidates and the collection generations they were ranked in. */
export interface PrecomputedKeyword {
  generations: ReadonlyMap<string, number>;
  candidates: readonly KeywordCandidate[];
}

/** The statement's plan for these (already permission-checked) collections. */
function planFor(
  collections: readonly SearchableCollectionRow[],
  request: SearchRequest,
  queryVector: QueryVector | undefined,
  hybridAlpha: number,
  tuning: SearchTuning,
): SearchQueryPlan {
  const needsVector = request.search_type !== 'keyword';
  const needsKeyword = request.search_type !== 'semantic';
  return {
    type: request.search_type,
    collectionIds: collections.map((c) => c.id),
    k: request.k,
    depth: candidateDepth(request.k, request.search_type),
    scoreThreshold: request.score_threshold ?? null,
    hybridAlpha,
    includeContent: request.include_content,
    filter: compileMetadataFilter(request.metadata_filter),
    queryVector: needsVector ? queryVector : undefined,
    keyword: needsKeyword ? { text: request.query, match: tuning.keywordMatch, matchTermCap: tuning.matchTermCap, bm25: tuning.bm25, feedback: tuning.feedback } : undefined,
    fusion: tuning.fusion,
    queryText: request.query,
  };
}

/**
 * The keyword side of a hybrid search, ranked on its own so it can run while the query is being
 * embedded (bench/reports/search-embedded.md). `collections` must come from
 * loadSearchableCollections in the same transaction.
 */
export async function findKeywordCandidatesFor(
  tx: Tx,
  collections: readonly SearchableCollectionRow[],
  request: SearchRequest,
  tuning: SearchTuning = DEFAULT_TUNING,
): Promise<PrecomputedKeyword> {
  const candidates = await new SearchRepository(tx).findKeywordCandidates(planFor(collections, request, undefined, 0, tuning));
  return { generations: new Map(collections.map((c) => [c.id, c.active_generation])), candidates };
}

/** Usable only if no searched collection switched generation (reindex) since they were ranked. */
function stillCurrent(keyword: PrecomputedKeyword | undefined, collections: readonly SearchableCollectionRow[]): keyword is PrecomputedKeyword {
  return keyword !== undefined && collections.every((c) => keyword.generations.get(c.id) === c.active_generation);
}

/**
 * Everything after the query embedding, inside one (read-only) transaction: permission check on the
 * same snapshot as the data, the HNSW knobs, one search statement. `queryVector` is required for
 * semantic and hybrid. The bench calls this directly to measure search without embedding.
 */
export async function searchInTransaction(
  tx: Tx,
  principal: SearchPrincipal,
  request: SearchRequest,
  queryVector: QueryVector | undefined,
  options: SearchInTransactionOptions = {},
): Promise<Omit<SearchResponse, TimingFields>> {
  const tuning = options.tuning ?? DEFAULT_TUNING;
  const collections = await loadSearchableCollections(tx, principal, request.collection_uuids);
  const needsVector = request.search_type !== 'keyword';
  let hybridAlpha = request.hybrid_alpha ?? CONTRACT_HYBRID_ALPHA;
  if (needsVector) {
    const model = sharedEmbeddingModel(collections);
    hybridAlpha = request.hybrid_alpha ?? defaultHybridAlpha(model);
    if (!queryVector) throw new Error('semantic and hybrid search need the query embedded first');
    if (queryVector.model !== model) {
      // The collection was reindexed with another model between embedding and searching.
      throw new ConflictError(`The embedding model of the collection changed to ${model} during the search; search again`);
    }
  }

  const repository = new SearchRepository(tx);
  const plan = planFor(collections, request, queryVector, hybridAlpha, tuning);
  if (request.search_type === 'hybrid' && stillCurrent(options.keyword, collections)) plan.keywordCandidates = options.keyword.candidates;
  if (needsVector) await repository.setVectorScanOptions(efSearchFor(plan.depth, tuning));
  const byId = new Map(collections.map((c) => [c.id, c]));
  const results = (await repository.search(plan)).map((row) => toResult(row, byId.get(row.collection_id)!));
  return {
    query: request.query,
    results,
    total_results: results.length,
    collections_searched: collections.map((c) => ({ id: c.id, name: c.name, embedding_model: c.embedding_model })),
    search_type: request.search_type,
  };
}

/**
 * The whole search: (1) a short read-only unit of work checks permissions and finds the model, so a
 * 404/422 costs no embedding; (2) the query is embedded with no transaction open (in embedded mode a
 * held transaction would block every other request for the embedding's duration); (3) one read-only
 * unit of work runs the search. Keyword search needs no embedding and skips step 1.
 *
 * Hybrid overlaps (1) and (2) with the keyword half: the embedding starts on its worker thread as
 * soon as the model is known, and the same unit of work ranks the keyword candidates meanwhile;
 * (3) then runs only the semantic half and the fusion. On PGlite at 20k chunks that takes the
 * keyword statement (~10 ms) off the critical path (bench/reports/search-embedded.md). If a searched
 * collection switched generation in between, (3) ranks the keyword side again itself.
 */
export async function search(
  database: Database,
  principal: SearchPrincipal,
  request: SearchRequest,
  deps: SearchDeps,
  tuning: SearchTuning = DEFAULT_TUNING,
): Promise<SearchResponse> {
  const started = performance.now();
  let queryVector: QueryVector | undefined;
  let keyword: PrecomputedKeyword | undefined;
  let embeddingMs = 0;
  if (request.search_type !== 'keyword') {
    let embedding: Promise<QueryVector> | undefined;
    const startEmbedding = (model: string) => {
      const embeddingStarted = performance.now();
      const pending = embedQuery(deps.embedders, model, request.query).then((vector) => {
        embeddingMs = performance.now() - embeddingStarted;
        return vector;
      });
      pending.catch(() => undefined); // awaited below; a keyword-side failure must not leave it unhandled
      return pending;
    };
    keyword = await inUnitOfWork(
      database,
      async (tx) => {
        const collections = await loadSearchableCollections(tx, principal, request.collection_uuids);
        // Started once even if this unit of work is retried.
        embedding ??= startEmbedding(sharedEmbeddingModel(collections));
        return request.search_type === 'hybrid' ? findKeywordCandidatesFor(tx, collections, request, tuning) : undefined;
      },
      { readOnly: true },
    );
    queryVector = await embedding!;
  }
  const response = await inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, request, queryVector, { tuning, keyword }), {
    readOnly: true,
  });
  const totalMs = roundMs(performance.now() - started);
  return {
    ...response,
    search_time_ms: totalMs,
    reranking_used: false,
    reranker_model: null,
    embedding_time_ms: roundMs(embeddingMs),
    reranking_time_ms: null,
    total_time_ms: totalMs,
    partial_failure: false,
    failed_collections: [],
  };
}

type TimingFields = 'search_time_ms' | 'reranking_used' | 'reranker_model' | 'embedding_time_ms' | 'reranking_time_ms' | 'total_time_ms' | 'partial_failure' | 'failed_collections';

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
