import type { DocumentRow } from '../db/schema.js';

/** The contract's document JSON. */
export interface DocumentJson {
  id: string;
  collection_id: string;
  source_id: number | null;
  /** The folder of `source_id` (the original web UI's Files tab shows it); null when unknown. */
  source_path: string | null;
  file_path: string;
  file_name: string;
  file_size: number;
  mime_type: string | null;
  content_hash: string;
  status: DocumentRow['status'];
  error_message: string | null;
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

export function toDocumentJson(row: DocumentRow, sourcePaths: ReadonlyMap<number, string> = new Map()): DocumentJson {
  return {
    id: row.id,
    collection_id: row.collection_id,
    source_id: row.source_id,
    source_path: row.source_id === null ? null : (sourcePaths.get(row.source_id) ?? null),
    file_path: row.file_path,
    file_name: row.file_name,
    file_size: Number(row.file_size),
    mime_type: row.mime_type,
    content_hash: row.content_hash,
    status: row.status,
    error_message: row.error_message,
    chunk_count: row.chunk_count,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
