import type { CollectionRow, CollectionSourceRow } from '../db/schema.js';
import type { CollectionJson, CollectionSourceJson } from './collection.response-schema.js';

export type { CollectionJson, CollectionSourceJson } from './collection.response-schema.js';

export function toCollectionJson(row: CollectionRow): CollectionJson {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    owner_id: row.owner_id,
    vector_store_name: row.vector_store_name,
    embedding_model: row.embedding_model,
    quantization: row.quantization,
    chunk_size: row.chunk_size,
    chunk_overlap: row.chunk_overlap,
    is_public: row.is_public,
    status: row.status,
    status_message: row.status_message,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    document_count: row.document_count,
    vector_count: Number(row.vector_count),
    total_size_bytes: Number(row.total_size_bytes),
    metadata: row.metadata ?? {},
    needs_reindex: row.needs_reindex,
  };
}

export function toSourceJson(row: CollectionSourceRow): CollectionSourceJson {
  return {
    id: row.id,
    source_path: row.source_path,
    source_type: row.source_type,
    document_count: row.document_count,
    size_bytes: Number(row.size_bytes),
    last_indexed_at: row.last_indexed_at?.toISOString() ?? null,
    sync_interval_minutes: row.sync_interval_minutes,
    next_sync_at: row.next_sync_at?.toISOString() ?? null,
    watch: row.watch,
  };
}
