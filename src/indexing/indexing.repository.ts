import { sql } from 'kysely';
import type { DocumentStatus } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';

export interface ProcessedDocumentRow {
  collection_id: string;
  source_id: number | null;
  file_path: string;
  file_name: string;
  file_size: number;
  mime_type: string | null;
  content_hash: string;
  file_modified_at: Date | null;
  status: Extract<DocumentStatus, 'completed' | 'failed'>;
  error_message: string | null;
  chunk_count: number;
  metadata: Record<string, unknown>;
}

export interface ReindexCandidate {
  id: string;
  file_path: string;
  file_name: string;
  content_hash: string;
  metadata: Record<string, unknown>;
}

/**
 * Bulk statements of the indexing pipeline that the entity repositories do not have: each one is a
 * single statement over many rows, so a batch's transaction stays a handful of round trips.
 */
export class IndexingRepository {
  constructor(private readonly tx: Tx) {}

  /**
   * Writes the outcome of a batch of documents: one INSERT … ON CONFLICT (collection_id,
   * content_hash) DO UPDATE, so a document re-processed after a crash or a failure is the same row.
   */
  upsertProcessed(rows: readonly ProcessedDocumentRow[]): Promise<{ id: string; content_hash: string }[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.tx
      .insertInto('documents')
      .values(rows.map((row) => ({ ...row, metadata: JSON.stringify(row.metadata) })))
      .onConflict((oc) =>
        oc.columns(['collection_id', 'content_hash']).doUpdateSet((eb) => ({
          source_id: eb.ref('excluded.source_id'),
          file_path: eb.ref('excluded.file_path'),
          file_name: eb.ref('excluded.file_name'),
          file_size: eb.ref('excluded.file_size'),
          mime_type: eb.ref('excluded.mime_type'),
          file_modified_at: eb.ref('excluded.file_modified_at'),
          status: eb.ref('excluded.status'),
          error_message: eb.ref('excluded.error_message'),
          chunk_count: eb.ref('excluded.chunk_count'),
          metadata: eb.ref('excluded.metadata'),
          updated_at: sql`now()`,
        })),
      )
      .returning(['id', 'content_hash'])
      .execute();
  }

  /** Renamed/moved (or only touched) files with unchanged content: new path and mtime, no re-embedding. One UPDATE … FROM unnest. */
  async updateLocations(rows: readonly { id: string; file_path: string; file_name: string; source_id: number; file_modified_at?: Date }[]): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      UPDATE documents d
      SET file_path = u.file_path, file_name = u.file_name, source_id = u.source_id,
          file_modified_at = coalesce(u.file_modified_at, d.file_modified_at), updated_at = now()
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.file_path)}::text[],
                  ${rows.map((r) => r.file_name)}::text[], ${rows.map((r) => r.source_id)}::bigint[],
                  ${rows.map((r) => r.file_modified_at?.toISOString() ?? null)}::timestamptz[])
        AS u(id, file_path, file_name, source_id, file_modified_at)
      WHERE d.id = u.id`.execute(this.tx);
  }

  /**
   * Stored vectors of a collection by embedding key (any generation, any document: the key already
   * holds the model and the exact input). One indexed lookup per batch.
   */
  async embeddingsByKey(collectionId: string, keys: readonly string[]): Promise<Map<string, number[]>> {
    if (keys.length === 0) return new Map();
    const { rows } = await sql<{ embedding_key: string; embedding: string }>`
      SELECT DISTINCT ON (embedding_key) embedding_key, embedding::text AS embedding
      FROM chunk_embeddings
      WHERE collection_id = ${collectionId} AND embedding_key = ANY(${keys}::text[])`.execute(this.tx);
    return new Map(rows.map((r) => [r.embedding_key, JSON.parse(r.embedding) as number[]]));
  }

  /** Deletes up to `limit` chunks of a collection (embeddings cascade); `generation` filters. */
  async deleteChunksBatch(collectionId: string, filter: { generation?: number; exceptGeneration?: number; minGeneration?: number }, limit: number): Promise<number> {
    let inner = this.tx.selectFrom('chunks').select('id').where('collection_id', '=', collectionId);
    if (filter.generation !== undefined) inner = inner.where('generation', '=', filter.generation);
    if (filter.exceptGeneration !== undefined) inner = inner.where('generation', '<>', filter.exceptGeneration);
    if (filter.minGeneration !== undefined) inner = inner.where('generation', '>=', filter.minGeneration);
    const result = await this.tx.deleteFrom('chunks').where('id', 'in', inner.limit(limit)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Up to `limit` document ids of a collection, or of one source. */
  async documentIdsBatch(collectionId: string, limit: number, sourceId?: number): Promise<string[]> {
    let query = this.tx.selectFrom('documents').select('id').where('collection_id', '=', collectionId);
    if (sourceId !== undefined) query = query.where('source_id', '=', sourceId);
    const rows = await query.limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async countDocuments(collectionId: string, sourceId?: number): Promise<number> {
    let query = this.tx.selectFrom('documents').select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', '=', collectionId);
    if (sourceId !== undefined) query = query.where('source_id', '=', sourceId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  async documentIdsWithChunks(collectionId: string, generation: number): Promise<Set<string>> {
    const rows = await this.tx
      .selectFrom('chunks')
      .select('document_id')
      .distinct()
      .where('collection_id', '=', collectionId)
      .where('generation', '=', generation)
      .execute();
    return new Set(rows.map((r) => r.document_id));
  }

  listReindexCandidates(collectionId: string): Promise<ReindexCandidate[]> {
    return this.tx
      .selectFrom('documents')
      .select(['id', 'file_path', 'file_name', 'content_hash', 'metadata'])
      .where('collection_id', '=', collectionId)
      .orderBy('file_path')
      .execute();
  }

  /**
   * A document that failed during a reindex keeps serving its old chunks until the switch; the
   * failure is parked in metadata and applied to status by `settleDocumentsAfterSwitch`.
   */
  async markReindexFailures(failures: readonly { id: string; reason: string }[], operationId: string): Promise<void> {
    if (failures.length === 0) return;
    await sql`
      UPDATE documents d
      SET metadata = d.metadata || jsonb_build_object('reindex_failure', jsonb_build_object('operation_id', ${operationId}::text, 'reason', f.reason))
      FROM unnest(${failures.map((f) => f.id)}::uuid[], ${failures.map((f) => f.reason)}::text[]) AS f(id, reason)
      WHERE d.id = f.id`.execute(this.tx);
  }

  /**
   * At the blue/green switch: a document is `completed` iff it has chunks in the new generation,
   * with chunk_count from them; otherwise `failed` with the parked reason. One statement.
   */
  async settleDocumentsAfterSwitch(collectionId: string, generation: number): Promise<void> {
    await sql`
      UPDATE documents d
      SET chunk_count = coalesce(c.n, 0),
          status = CASE WHEN c.n > 0 THEN 'completed' ELSE 'failed' END,
          error_message = CASE WHEN c.n > 0 THEN NULL
                               ELSE coalesce(d.metadata #>> '{reindex_failure,reason}', d.error_message, 'not indexed') END,
          metadata = d.metadata - 'reindex_failure',
          updated_at = now()
      FROM documents d2
      LEFT JOIN (SELECT document_id, count(*)::int AS n FROM chunks
                 WHERE collection_id = ${collectionId} AND generation = ${generation} GROUP BY document_id) c
        ON c.document_id = d2.id
      WHERE d.id = d2.id AND d.collection_id = ${collectionId}`.execute(this.tx);
  }
}
