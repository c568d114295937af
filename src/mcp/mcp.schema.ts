import { z } from 'zod';
import { DEFAULT_PAGE_CHARS, MAX_PAGE_CHARS } from '../documents/document-text.service.js';
import { MAX_COLLECTIONS_PER_SEARCH, MAX_QUERY_LENGTH, metadataFilterSchema, SEARCH_TYPES } from '../search/search.schema.js';

/**
 * Input shapes of the MCP tools, validated by the SDK before a handler runs (a bad argument is a
 * tool error naming the field). The descriptions are what a model reads to choose and fill a tool.
 */

/**
 * k ≤ 50, not the HTTP API's 100: every result carries a passage of up to MAX_PASSAGE_CHARS, so 50
 * results are already ~50k characters in the assistant's context.
 */
export const MCP_MAX_K = 50;
export const MCP_DEFAULT_K = 10;
/** A chunk is ≤ chunk_size (default 1,000) characters; longer ones are cut to the matching snippet. */
export const MAX_PASSAGE_CHARS = 1200;
export const MAX_LISTED_COLLECTIONS = 100;

export const searchToolInput = {
  query: z
    .string()
    .trim()
    .min(1, { message: 'query must not be empty' })
    .max(MAX_QUERY_LENGTH, { message: `query must be at most ${MAX_QUERY_LENGTH} characters` })
    .describe('What to look for, in natural language or keywords.'),
  collections: z
    .array(z.string().trim().min(1).max(200))
    .min(1, { message: 'collections needs at least one name or id (or omit it to search all)' })
    .max(MAX_COLLECTIONS_PER_SEARCH, { message: `at most ${MAX_COLLECTIONS_PER_SEARCH} collections can be searched at once` })
    .optional()
    .describe(
      `Collections to search, by name or id (from list_collections). Omit to search every collection you can see, when there are at most ${MAX_COLLECTIONS_PER_SEARCH}.`,
    ),
  search_type: z
    .enum(SEARCH_TYPES)
    .default('hybrid')
    .describe('hybrid (default, best in our evaluation), semantic (meaning), or keyword (exact words, BM25).'),
  k: z
    .number()
    .int()
    .min(1, { message: `k must be between 1 and ${MCP_MAX_K}` })
    .max(MCP_MAX_K, { message: `k must be between 1 and ${MCP_MAX_K}` })
    .default(MCP_DEFAULT_K)
    .describe(`Number of results (documents), 1–${MCP_MAX_K}, default ${MCP_DEFAULT_K}.`),
  metadata_filter: metadataFilterSchema
    .optional()
    .describe('Only documents whose metadata match, e.g. {"file_type": "pdf"} or {"file_type": ["pdf", "md"]}.'),
  score_threshold: z.number().finite().optional().describe('Drop results scoring below this.'),
};

export const listCollectionsToolInput = {
  name_contains: z.string().trim().min(1).max(200).optional().describe('Only collections whose name contains this (case-insensitive).'),
};

export const getDocumentToolInput = {
  document_id: z.guid({ message: 'document_id must be a UUID (the document_id of a search result)' }).describe('The document_id of a search result.'),
  from_chunk: z
    .number()
    .int()
    .min(0, { message: 'from_chunk must be 0 or more' })
    .default(0)
    .describe('Start at this chunk (0 = beginning); pass next_from_chunk of the previous page to read on.'),
  max_chars: z
    .number()
    .int()
    .min(200, { message: `max_chars must be between 200 and ${MAX_PAGE_CHARS}` })
    .max(MAX_PAGE_CHARS, { message: `max_chars must be between 200 and ${MAX_PAGE_CHARS}` })
    .default(DEFAULT_PAGE_CHARS)
    .describe(`Characters of text per page, 200–${MAX_PAGE_CHARS}, default ${DEFAULT_PAGE_CHARS}.`),
};
