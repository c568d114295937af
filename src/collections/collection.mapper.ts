import type { CollectionRow, CollectionSourceRow } from '../db/schema.js';

/** The contract's collection JSON, plus `needs_reindex` (additive). */
export interface CollectionJson {
  id: string;
  name: string;
  description: string | null;
  owner_id: number;
  vector_store_name: string;
  embedding_model: string;
  quantization: string;
  chunk_size: number;
  chunk_overlap: number;
  is_public: boolean;
  status: CollectionRow['status'];
  status_message: string | null;
  created_at: string;
  updated_at: string;
  document_count: number;
  vector_count: number;
  total_size_bytes: number;
  metadata: Record<string, unknown>;
  needs_reindex: boolean;
}

export interface CollectionSourceJson {
  id: number;
  source_path: string;
  source_type: string;
  document_count: number;
  size_bytes: number;
  last_indexed_at: string | null;
  /** Minutes between scheduled syncs; null: only on request. */
  sync_interval_minutes: number | null;
  next_sync_at: string | null;
  /** File-system watching (opt-in): changes enqueue a sync. */
  watch: boolean;
}

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
