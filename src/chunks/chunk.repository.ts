import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';
import { copyTextLine, makeCopyQuery } from '../db/drivers/copy-payload.js';
import { ValidationError } from '../errors/domain-errors.js';

export interface NewChunk {
  id?: string;
  collection_id: string;
  document_id: string;
  generation: number;
  chunk_index: number;
  text: string;
  /** Title, heading path, file name (chunkContextFor): the weighted field of keyword search. */
  context?: string;
  start_offset?: number | null;
  end_offset?: number | null;
  page?: number | null;
  metadata?: Record<string, unknown>;
  /** Omitted for chunks that are stored without a vector (e.g. keyword-only). */
  embedding?: ArrayLike<number>;
  /** sha256 of (model, embedding input), for reuse on re-indexing (document.processor.ts). */
  embedding_key?: string | null;
}

export interface ChunkEmbeddingModel {
  model: string;
  dimension: number;
}

/** pgvector's text form. Float32 values print with ≤ 9 significant digits, which round-trips. */
export function toVectorLiteral(values: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new ValidationError(`Embedding value ${i} is not a finite number`);
    out += (i ? ',' : '') + v;
  }
  return out + ']';
}

const CHUNK_COLUMNS = 'id, collection_id, document_id, generation, chunk_index, text, context, start_offset, end_offset, page, metadata';
const EMBEDDING_COLUMNS = 'chunk_id, collection_id, model, dimension, embedding, embedding_key';
/** Below this many rows a multi-row INSERT beats COPY (see insertMany). */
export const COPY_THRESHOLD_ROWS = 50;

export class ChunkRepository {
  constructor(private readonly tx: Tx) {}

  /**
   * Writes chunks and their embeddings. Large batches use two COPY … FROM STDIN statements on the
   * unit of work's connection — the fastest bulk path PostgreSQL has (bench:db: ~100% of a raw COPY
   * at 2,000 rows). Small batches use one multi-row INSERT per table instead: COPY's extra protocol
   * round trips cost more than they save below ~50 rows (bench:concurrency writes 5 chunks per
   * transaction). Returns the chunk ids in order.
   */
  async insertMany(chunks: readonly NewChunk[], embeddingModel?: ChunkEmbeddingModel): Promise<string[]> {
    if (chunks.length === 0) return [];
    const ids = chunks.map((c) => c.id ?? randomUUID());
    const rows = chunks.map((c, i) => ({
      id: ids[i]!,
      collection_id: c.collection_id,
      document_id: c.document_id,
      generation: c.generation,
      chunk_index: c.chunk_index,
      // NUL bytes cannot be stored in PostgreSQL text; extraction should have removed them already.
      text: c.text.replace(/\u0000/g, ''),
      context: (c.context ?? '').replace(/\u0000/g, ''),
      start_offset: c.start_offset ?? null,
      end_offset: c.end_offset ?? null,
      page: c.page ?? null,
      metadata: c.metadata ?? {},
    }));
    const embeddings = chunks.flatMap((c, i) => {
      if (c.embedding === undefined) return [];
      if (!embeddingModel) throw new ValidationError('Chunks with embeddings need the embedding model and dimension');
      if (c.embedding.length !== embeddingModel.dimension) {
        throw new ValidationError(`Embedding has ${c.embedding.length} dimensions but model ${embeddingModel.model} has ${embeddingModel.dimension}`);
      }
      return [{ chunk_id: ids[i]!, collection_id: c.collection_id, model: embeddingModel.model, dimension: embeddingModel.dimension, embedding: toVectorLiteral(c.embedding), embedding_key: c.embedding_key ?? null }];
    });

    if (chunks.length < COPY_THRESHOLD_ROWS) {
      await this.tx
        .insertInto('chunks')
        .values(rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) })))
        .execute();
      if (embeddings.length > 0) await this.tx.insertInto('chunk_embeddings').values(embeddings).execute();
      return ids;
    }

    const chunkLines = rows.map((r) =>
      copyTextLine([r.id, r.collection_id, r.document_id, r.generation, r.chunk_index, r.text, r.context, r.start_offset, r.end_offset, r.page, r.metadata]),
    );
    await this.tx.executeQuery(makeCopyQuery(`COPY chunks (${CHUNK_COLUMNS}) FROM STDIN`, { lines: chunkLines }));
    if (embeddings.length > 0) {
      const embeddingLines = embeddings.map((e) => copyTextLine([e.chunk_id, e.collection_id, e.model, e.dimension, e.embedding, e.embedding_key]));
      await this.tx.executeQuery(makeCopyQuery(`COPY chunk_embeddings (${EMBEDDING_COLUMNS}) FROM STDIN`, { lines: embeddingLines }));
    }
    return ids;
  }

  listByDocument(documentId: string, generation: number) {
    return this.tx
      .selectFrom('chunks')
      .select(['id', 'chunk_index', 'text', 'start_offset', 'end_offset', 'page', 'metadata'])
      .where('document_id', '=', documentId)
      .where('generation', '=', generation)
      .orderBy('chunk_index')
      .execute();
  }

  /** Up to `limit` chunks of a document from `fromIndex` on, in order: one page of its text. */
  listPageByDocument(documentId: string, generation: number, fromIndex: number, limit: number) {
    return this.tx
      .selectFrom('chunks')
      .select(['chunk_index', 'text', 'start_offset', 'end_offset', 'page'])
      .where('document_id', '=', documentId)
      .where('generation', '=', generation)
      .where('chunk_index', '>=', fromIndex)
      .orderBy('chunk_index')
      .limit(limit)
      .execute();
  }

  async deleteByDocuments(documentIds: readonly string[], generation?: number): Promise<number> {
    if (documentIds.length === 0) return 0;
    let query = this.tx.deleteFrom('chunks').where('document_id', 'in', documentIds);
    if (generation !== undefined) query = query.where('generation', '=', generation);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * HNSW indexes are partial per dimension (`WHERE dimension = N` over `embedding::vector(N)`), so a
   * collection with a model of a new dimension gets its own index. Idempotent; the migration
   * creates the 512-d one used by the default model.
   */
  async ensureVectorIndex(dimension: number): Promise<void> {
    if (!Number.isInteger(dimension) || dimension <= 0 || dimension > 16_000) {
      throw new ValidationError(`Embedding dimension must be an integer in 1..16000, got ${dimension}`);
    }
    // CREATE INDEX IF NOT EXISTS is not safe against itself: 20 collections created at once with a
    // new dimension failed 3 runs in 5 with a duplicate pg_class entry (23505 → a misleading 409;
    // test/reliability/http-concurrency.spec.ts). A transaction-scoped advisory lock serialises the
    // creators; checking first skips the lock and the table's SHARE lock when the index exists.
    const name = `chunk_embeddings_hnsw_${dimension}`;
    const exists = async () => {
      const { rows } = await sql<{ oid: string | null }>`SELECT to_regclass(${name})::text AS oid`.execute(this.tx);
      return rows[0]?.oid !== null && rows[0]?.oid !== undefined;
    };
    if (await exists()) return;
    await sql`SELECT pg_advisory_xact_lock(hashtext('semantik.ensure_vector_index'))`.execute(this.tx);
    if (await exists()) return;
    await sql`
      CREATE INDEX IF NOT EXISTS ${sql.id(`chunk_embeddings_hnsw_${dimension}`)} ON chunk_embeddings
      USING hnsw ((embedding::vector(${sql.lit(dimension)})) vector_cosine_ops) WHERE dimension = ${sql.lit(dimension)}`.execute(this.tx);
  }
}
