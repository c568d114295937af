import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';

/**
 * Grows the ingested eval corpora to `targetChunks` by copying whole documents (their chunks and
 * embeddings) inside each collection, round-robin over the documents in id order, each collection
 * in proportion to its share of the corpus. A copy's vectors get independent uniform noise of
 * ±0.005 per dimension (cosine ≈ 0.998 to the original), so the HNSW graph holds distinct points
 * rather than exact duplicates; its text is the original's, so BM25 statistics grow the way they
 * would with more documents on the same subjects (the statement-level triggers keep them exact).
 * Queries still have right answers: the originals and their copies.
 */
export async function scaleCorpus(database: Database, collectionIds: readonly string[], targetChunks: number): Promise<number> {
  const counts = await sql<{ collection_id: string; chunks: number }>`
    SELECT collection_id, count(*)::int AS chunks FROM chunks WHERE collection_id = ANY(${collectionIds}::uuid[]) GROUP BY collection_id`.execute(database.db);
  const total = counts.rows.reduce((sum, row) => sum + row.chunks, 0);
  if (total >= targetChunks) return total;
  let reached = total;
  for (const { collection_id: collectionId, chunks } of counts.rows) {
    const goal = Math.round((chunks / total) * targetChunks);
    const documents = await sql<{ id: string; chunk_count: number }>`
      SELECT d.id, count(c.id)::int AS chunk_count FROM documents d JOIN chunks c ON c.document_id = d.id
      WHERE d.collection_id = ${collectionId} GROUP BY d.id ORDER BY d.id`.execute(database.db);
    let have = chunks;
    let copy = 0;
    while (have < goal) {
      copy++;
      let batch: string[] = [];
      let batchChunks = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await copyDocuments(database, batch, copy);
        have += batchChunks;
        reached += batchChunks;
        batch = [];
        batchChunks = 0;
        process.stdout.write(`\rscaling: ${reached} chunks`);
      };
      for (const doc of documents.rows) {
        if (have + batchChunks >= goal) break;
        batch.push(doc.id);
        batchChunks += doc.chunk_count;
        if (batchChunks >= 1_000) await flush();
      }
      await flush();
    }
  }
  process.stdout.write('\n');
  return reached;
}

/** One statement per batch: documents, their chunks and their jittered embeddings, with fresh ids. */
async function copyDocuments(database: Database, documentIds: string[], copy: number): Promise<void> {
  // Unique per batch: a corpus grown again later (20k → 100k) already holds earlier copies.
  const suffix = `#copy${copy}-${randomUUID().slice(0, 8)}`;
  await inUnitOfWork(database, (tx) =>
    sql`
      WITH source_documents AS MATERIALIZED (
        SELECT d.*, gen_random_uuid() AS new_id FROM documents d WHERE d.id = ANY(${documentIds}::uuid[])),
      new_documents AS (
        INSERT INTO documents (id, collection_id, source_id, file_path, file_name, file_size, mime_type, content_hash,
                               status, error_message, chunk_count, metadata, file_modified_at)
        SELECT new_id, collection_id, source_id, file_path || ${suffix}, file_name, file_size, mime_type, content_hash || ${suffix},
               status, error_message, chunk_count, metadata, file_modified_at
        FROM source_documents),
      source_chunks AS MATERIALIZED (
        SELECT c.*, s.new_id AS new_document_id, gen_random_uuid() AS new_chunk_id
        FROM chunks c JOIN source_documents s ON s.id = c.document_id),
      new_chunks AS (
        INSERT INTO chunks (id, collection_id, document_id, generation, chunk_index, text, start_offset, end_offset, page, metadata, context)
        SELECT new_chunk_id, collection_id, new_document_id, generation, chunk_index, text, start_offset, end_offset, page, metadata, context
        FROM source_chunks)
      INSERT INTO chunk_embeddings (chunk_id, collection_id, model, dimension, embedding)
      SELECT s.new_chunk_id, e.collection_id, e.model, e.dimension,
             (SELECT array_agg(x + (random() - 0.5) * 0.01 ORDER BY i) FROM unnest(e.embedding::real[]) WITH ORDINALITY u(x, i))::vector
      FROM source_chunks s JOIN chunk_embeddings e ON e.chunk_id = s.id`.execute(tx),
  );
}
