import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { embedQuery, type QueryEmbedder, type QueryEmbedderLookup } from '../../src/search/query-embedder.js';
import type { SearchRequest, SearchResult } from '../../src/search/search.schema.js';
import { findKeywordCandidatesFor, loadSearchableCollections, searchInTransaction, type SearchPrincipal } from '../../src/search/search.service.js';

/**
 * Fixture helpers shared by the search specs and `npm run eval:search` (in test/support: never built,
 * and no test pattern matches the name): write a collection with documents, chunks and embeddings
 * through the repositories, exactly as indexing stores them (generation = the active generation).
 */

/** Word hashing into ±1 buckets, L2-normalized: texts sharing words get similar vectors. Tests only. */
export function hashEmbedder(dimension = 384, model = `test-hash-${dimension}`): QueryEmbedder {
  const embedOne = (text: string) => {
    const v = new Float64Array(dimension);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const h = createHash('sha1').update(word).digest();
      v[h.readUInt32BE(0) % dimension]! += h[4]! & 1 ? 1 : -1;
    }
    const norm = Math.hypot(...v) || 1;
    return Array.from(v, (x) => x / norm);
  };
  return { model, dimension, embed: async (texts) => texts.map(embedOne) };
}

export interface FixtureChunk {
  text: string;
  /** The chunk's keyword fields (title, headings, file name), as chunkContextFor makes them. */
  context?: string;
  metadata?: Record<string, unknown>;
  /** Where the chunk lies in the document's text (`text === documentText.slice(start, end)`). */
  startOffset?: number;
  endOffset?: number;
}

export interface FixtureDocument {
  path: string;
  mimeType?: string;
  metadata?: Record<string, unknown>;
  chunks: Array<string | FixtureChunk>;
}

export interface SeededDocument {
  id: string;
  path: string;
  chunkIds: string[];
}

export interface SeedOptions {
  ownerId: number;
  name?: string;
  isPublic?: boolean;
  embedder: QueryEmbedder;
  documents: FixtureDocument[];
  /** Defaults to 1 (the active generation of a new collection). */
  generation?: number;
  /** Text embedded for a chunk; indexing may prefix the file name. Defaults to the chunk text. */
  embeddingInput?: (document: FixtureDocument, chunk: FixtureChunk) => string;
}

export async function seedCollection(database: Database, options: SeedOptions): Promise<{ id: string; name: string; documents: SeededDocument[] }> {
  const name = options.name ?? `search-${randomUUID()}`;
  const generation = options.generation ?? 1;
  const { embedder } = options;
  // Embed before the unit of work: never hold a transaction open while a model runs.
  const prepared: Array<{ document: FixtureDocument; chunks: FixtureChunk[]; vectors: ArrayLike<number>[] }> = [];
  for (const document of options.documents) {
    const chunks = document.chunks.map((c) => (typeof c === 'string' ? { text: c } : c));
    const inputs = chunks.map((c) => options.embeddingInput?.(document, c) ?? c.text);
    const vectors = await embedder.embed(inputs);
    prepared.push({ document, chunks, vectors });
  }
  return inUnitOfWork(database, async (tx) => {
    const repos = repositoriesFor(tx);
    const collection = await repos.collections.insert({
      name,
      owner_id: options.ownerId,
      vector_store_name: `vs_${randomUUID()}`,
      embedding_model: embedder.model,
      embedding_dimension: embedder.dimension,
      is_public: options.isPublic ?? false,
    });
    const documents: SeededDocument[] = [];
    for (const { document, chunks, vectors } of prepared) {
      const row = await repos.documents.insert({
        collection_id: collection.id,
        file_path: document.path,
        file_name: document.path.split('/').pop() ?? document.path,
        file_size: chunks.reduce((n, c) => n + c.text.length, 0),
        mime_type: document.mimeType ?? 'text/plain',
        content_hash: createHash('sha256').update(`${document.path}\n${chunks.map((c) => c.text).join('\n')}`).digest('hex'),
        status: 'completed',
        chunk_count: chunks.length,
        metadata: document.metadata ?? {},
      });
      const chunkIds = await repos.chunks.insertMany(
        chunks.map((c, i) => ({
          collection_id: collection.id,
          document_id: row.id,
          generation,
          chunk_index: i,
          text: c.text,
          context: c.context ?? '',
          start_offset: c.startOffset ?? null,
          end_offset: c.endOffset ?? null,
          metadata: c.metadata ?? {},
          embedding: vectors[i]!,
        })),
        { model: embedder.model, dimension: embedder.dimension },
      );
      documents.push({ id: row.id, path: document.path, chunkIds });
    }
    return { id: collection.id, name, documents };
  });
}

/**
 * What `search()` does for hybrid — the keyword side ranked in its own statement while the query
 * is embedded — must answer exactly what the single statement answers. Returns, per query, both
 * answers and the number of keyword candidates (so a caller can check the case is not vacuous).
 */
export async function splitHybridAgainstSingleStatement(
  database: Database,
  principal: SearchPrincipal,
  requests: readonly SearchRequest[],
  embedders: QueryEmbedderLookup,
): Promise<Array<{ single: SearchResult[]; split: SearchResult[]; candidates: number }>> {
  const out = [];
  for (const request of requests) {
    const vector = await embedQuery(embedders, (await inUnitOfWork(database, (tx) => loadSearchableCollections(tx, principal, request.collection_uuids)))[0]!.embedding_model, request.query);
    const single = await inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, request, vector));
    const keyword = await inUnitOfWork(database, async (tx) =>
      findKeywordCandidatesFor(tx, await loadSearchableCollections(tx, principal, request.collection_uuids), request),
    );
    const split = await inUnitOfWork(database, (tx) => searchInTransaction(tx, principal, request, vector, { keyword }));
    out.push({ single: single.results, split: split.results, candidates: keyword.candidates.length });
  }
  return out;
}
