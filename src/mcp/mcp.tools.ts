import { listCollections } from '../collections/collection.service.js';
import type { Database } from '../db/database.js';
import { repositoriesFor } from '../db/repositories.js';
import type { CollectionRow } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { readDocumentTextPage } from '../documents/document-text.service.js';
import { NotFoundError, ValidationError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { QueryEmbedderLookup } from '../search/query-embedder.js';
import { MAX_COLLECTIONS_PER_SEARCH, type MetadataFilter, type SearchResult, type SearchType } from '../search/search.schema.js';
import { search } from '../search/search.service.js';
import { MAX_LISTED_COLLECTIONS, MAX_PASSAGE_CHARS } from './mcp.schema.js';

/**
 * What the MCP tools do, as plain functions over the same services the HTTP routes call
 * (listCollections, search, requireCollectionAccess through the document service): an MCP caller
 * sees exactly what the same user or API key sees over HTTP.
 */

export interface McpToolDeps {
  database: Database;
  embedders: QueryEmbedderLookup;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readOnly<T>(database: Database, work: (repos: ReturnType<typeof repositoriesFor>) => Promise<T>): Promise<T> {
  return inUnitOfWork(database, (tx) => work(repositoriesFor(tx)), { readOnly: true });
}

function collectionSummary(row: CollectionRow, principal: Principal) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    document_count: row.document_count,
    vector_count: Number(row.vector_count),
    embedding_model: row.embedding_model,
    is_public: row.is_public,
    owned_by_you: row.owner_id === principal.user.id,
  };
}

export async function listCollectionsTool(deps: McpToolDeps, principal: Principal, args: { name_contains?: string }) {
  const page = await readOnly(deps.database, (repos) =>
    listCollections(repos, principal, { page: 1, perPage: MAX_LISTED_COLLECTIONS, search: args.name_contains, sortBy: 'name', sortOrder: 'asc' }),
  );
  return {
    collections: page.items.map((row) => collectionSummary(row, principal)),
    total: page.total,
    ...(page.total > page.items.length ? { note: `Showing the first ${page.items.length}; narrow with name_contains.` } : {}),
  };
}

/**
 * Names are per owner, so a caller can see two collections of one name (theirs and a public one):
 * an ambiguous name is an error listing the ids to choose from, never a guess.
 */
export async function resolveCollectionRefs(database: Database, principal: Principal, refs: readonly string[] | undefined): Promise<string[]> {
  // Ids need no lookup here (the search checks them): skipping this unit of work saved ~1.5 ms of
  // the MCP search's p50 in bench:mcp.
  if (refs && refs.every((ref) => UUID.test(ref))) return [...new Set(refs)];
  return readOnly(database, async (repos) => {
    if (!refs) {
      const visible = await listCollections(repos, principal, { page: 1, perPage: MAX_COLLECTIONS_PER_SEARCH + 1, sortBy: 'name', sortOrder: 'asc' });
      if (visible.total === 0) throw new NotFoundError('You cannot see any collection yet; create one and add documents first');
      if (visible.total > MAX_COLLECTIONS_PER_SEARCH) {
        throw new ValidationError(
          `You can see ${visible.total} collections; name up to ${MAX_COLLECTIONS_PER_SEARCH} of them in "collections" (list_collections shows them)`,
        );
      }
      return visible.items.map((c) => c.id);
    }
    const ids: string[] = [];
    for (const ref of refs) {
      if (UUID.test(ref)) {
        ids.push(ref);
        continue;
      }
      const candidates = await listCollections(repos, principal, { page: 1, perPage: MAX_LISTED_COLLECTIONS, search: ref });
      const exact = candidates.items.filter((c) => c.name === ref);
      const matches = exact.length > 0 ? exact : candidates.items.filter((c) => c.name.toLowerCase() === ref.toLowerCase());
      if (matches.length === 0) throw new NotFoundError(`No collection named "${ref}" that you can see; list_collections shows the names you can search`);
      if (matches.length > 1) {
        throw new ValidationError(`Several collections you can see are named "${ref}": ${matches.map((c) => c.id).join(', ')}; pass the id instead`);
      }
      ids.push(matches[0]!.id);
    }
    return [...new Set(ids)];
  });
}

/** The chunk when it is short enough, else the snippet around the query's words, else the chunk's start. */
export function passageOf(result: Pick<SearchResult, 'text' | 'snippet'>): string {
  const text = result.text ?? result.snippet?.text ?? '';
  if (text.length <= MAX_PASSAGE_CHARS) return text;
  if (result.snippet && result.snippet.text.length <= MAX_PASSAGE_CHARS) return result.snippet.text;
  return `${text.slice(0, MAX_PASSAGE_CHARS)}…`;
}

export interface SearchToolArgs {
  query: string;
  collections?: string[];
  search_type: SearchType;
  k: number;
  metadata_filter?: MetadataFilter;
  score_threshold?: number;
}

export async function searchTool(deps: McpToolDeps, principal: Principal, args: SearchToolArgs) {
  const collectionIds = await resolveCollectionRefs(deps.database, principal, args.collections);
  const response = await search(
    deps.database,
    { id: principal.user.id, is_superuser: principal.user.is_superuser, apiKeyId: principal.apiKeyId, apiKeyScope: principal.apiKeyScope },
    {
      collection_uuids: collectionIds,
      query: args.query,
      k: args.k,
      search_type: args.search_type,
      score_threshold: args.score_threshold,
      metadata_filter: args.metadata_filter,
      include_content: true,
      // No reranker is configured on this server (GET /api/v2/system/status); the tool does not offer one.
      use_reranker: false,
    },
    { embedders: deps.embedders },
  );
  return {
    query: response.query,
    search_type: response.search_type,
    collections_searched: response.collections_searched.map((c) => ({ id: c.id, name: c.name })),
    results: response.results.map((r) => ({
      document_id: r.document_id,
      file_name: r.file_name,
      file_path: r.file_path,
      collection_id: r.collection_id,
      collection_name: r.collection_name,
      score: Math.round(r.score * 10_000) / 10_000,
      passage: passageOf(r),
    })),
    search_time_ms: response.search_time_ms,
  };
}

export async function getDocumentTool(deps: McpToolDeps, principal: Principal, args: { document_id: string; from_chunk: number; max_chars: number }) {
  const { document, collection, fromChunk, page } = await readOnly(deps.database, (repos) =>
    readDocumentTextPage(repos, principal, args.document_id, { fromChunk: args.from_chunk, maxChars: args.max_chars }),
  );
  return {
    document: {
      id: document.id,
      file_name: document.file_name,
      file_path: document.file_path,
      mime_type: document.mime_type,
      file_size: Number(document.file_size),
      status: document.status,
      chunk_count: document.chunk_count,
      collection_id: collection.id,
      collection_name: collection.name,
      updated_at: document.updated_at.toISOString(),
    },
    from_chunk: fromChunk,
    next_from_chunk: page.nextFromChunk,
    ...(page.startPage !== null ? { start_page: page.startPage } : {}),
    ...(page.cut ? { note: 'One chunk was longer than max_chars and was cut; raise max_chars to read it whole.' } : {}),
    text: page.text,
  };
}
