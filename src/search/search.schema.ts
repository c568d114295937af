import { z } from 'zod';

/**
 * Request and response shapes of `POST /api/v2/search` and `/api/v2/search/single` (contract:
 * ../shared/contract/API.md, Search). Validated once at the edge; the service takes the parsed type.
 */
export const SEARCH_TYPES = ['semantic', 'keyword', 'hybrid'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/**
 * Hybrid is the default because `npm run eval:search` (bench/reports/search-eval.md) measured it best
 * on MRR@10 and recall@5 with the default model; docs/search.md has the numbers.
 */
export const DEFAULT_SEARCH_TYPE: SearchType = 'hybrid';

/**
 * The Python original also took `question` and `code`: both ran its dense (semantic) search with a
 * different query instruction for its Qwen model; our models have no instructions, so they are semantic.
 */
const ORIGINAL_SEMANTIC_ALIASES = ['question', 'code'] as const;
const searchTypeSchema = z
  .enum([...SEARCH_TYPES, ...ORIGINAL_SEMANTIC_ALIASES])
  .default(DEFAULT_SEARCH_TYPE)
  .transform((type): SearchType => ((ORIGINAL_SEMANTIC_ALIASES as readonly string[]).includes(type) ? 'semantic' : (type as SearchType)));
export const MAX_COLLECTIONS_PER_SEARCH = 10;
export const MAX_K = 100;
export const MAX_QUERY_LENGTH = 1000;

const metadataScalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
const metadataValue = z.union([metadataScalar, z.record(z.string(), z.unknown())]);

/** key → value or list of values (any of). Keys are data, never SQL: see search-filters.ts. */
export const metadataFilterSchema = z
  .record(z.string().min(1).max(200), z.union([metadataValue, z.array(metadataValue).min(1).max(100)]))
  .refine((filter) => Object.keys(filter).length <= 20, { message: 'metadata_filter takes at most 20 keys' });

export type MetadataFilter = z.infer<typeof metadataFilterSchema>;

const searchOptions = {
  query: z
    .string()
    .trim()
    .min(1, { message: 'query must not be empty' })
    .max(MAX_QUERY_LENGTH, { message: `query must be at most ${MAX_QUERY_LENGTH} characters` }),
  k: z.number().int().min(1, { message: 'k must be between 1 and 100' }).max(MAX_K, { message: 'k must be between 1 and 100' }).default(10),
  search_type: searchTypeSchema,
  score_threshold: z.number().finite().nullish(),
  metadata_filter: metadataFilterSchema.nullish(),
  include_content: z.boolean().default(true),
  /** Omitted: calibrated per embedding model (hybrid-calibration.ts). */
  hybrid_alpha: z.number().min(0).max(1).optional(),
  /** Accepted for the original's clients; this server has no reranker, so answers say `reranking_used: false`. */
  use_reranker: z.boolean().default(false),
  rerank_model: z.string().max(200).nullish(),
};

export const searchRequestSchema = z.object({
  collection_uuids: z
    .array(z.guid({ message: 'collection_uuids must be UUIDs' }))
    .min(1, { message: 'collection_uuids needs at least one collection' })
    .max(MAX_COLLECTIONS_PER_SEARCH, { message: `at most ${MAX_COLLECTIONS_PER_SEARCH} collections can be searched at once` }),
  ...searchOptions,
});

export const singleSearchRequestSchema = z.object({
  collection_id: z.guid({ message: 'collection_id must be a UUID' }),
  ...searchOptions,
});

export type SearchRequest = z.output<typeof searchRequestSchema>;
export type SearchRequestInput = z.input<typeof searchRequestSchema>;

export const searchSnippetResponse = z
  .object({
    text: z.string(),
    /** [start, end) UTF-16 offsets into `text`. */
    highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  })
  .meta({ id: 'SearchSnippet' });

export const searchResultResponse = z
  .object({
    document_id: z.string(),
    chunk_id: z.string(),
    collection_id: z.string(),
    collection_name: z.string(),
    file_name: z.string(),
    file_path: z.string(),
    score: z.number(),
    text: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    embedding_model: z.string(),
    /** `metadata.chunk_index`, also at the top level where the original web UI reads it; null when unknown. */
    chunk_index: z.number().int().nullable(),
    /** The best-matching passage with the query's terms highlighted; null when no query word is in the chunk. */
    snippet: searchSnippetResponse.nullable(),
  })
  .meta({ id: 'SearchResult' });

export const searchResponseSchema = z
  .object({
    query: z.string(),
    results: z.array(searchResultResponse),
    total_results: z.number().int(),
    collections_searched: z.array(z.object({ id: z.string(), name: z.string(), embedding_model: z.string() })),
    search_type: z.enum(SEARCH_TYPES),
    search_time_ms: z.number(),
    /** The original's response fields: no reranker exists here, so reranking is never used. */
    reranking_used: z.literal(false),
    reranker_model: z.null(),
    embedding_time_ms: z.number(),
    reranking_time_ms: z.null(),
    total_time_ms: z.number(),
    partial_failure: z.literal(false),
    failed_collections: z.array(z.never()),
  })
  .meta({ id: 'SearchResponse' });

export type SearchSnippet = z.infer<typeof searchSnippetResponse>;
export type SearchResult = z.infer<typeof searchResultResponse>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;
