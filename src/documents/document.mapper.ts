import type { DocumentRow } from '../db/schema.js';
import type { DocumentJson } from './document.response-schema.js';

export type { DocumentJson } from './document.response-schema.js';

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
