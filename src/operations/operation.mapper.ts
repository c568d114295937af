import type { OperationRow } from '../db/schema.js';
import type { LegacyOperationJson, OperationJson, OperationProgressJson } from './operation.response-schema.js';

export type { OperationJson, OperationProgressJson } from './operation.response-schema.js';

export function progressOf(row: Pick<OperationRow, 'total_files' | 'processed_files' | 'failed_files' | 'current_file'>): OperationProgressJson {
  const percentage = row.total_files > 0 ? Math.min(100, Math.round((row.processed_files / row.total_files) * 10_000) / 100) : 0;
  return {
    total_files: row.total_files,
    processed_files: row.processed_files,
    failed_files: row.failed_files,
    current_file: row.current_file,
    percentage,
  };
}

export function toOperationJson(row: OperationRow): OperationJson {
  return {
    id: row.id,
    collection_id: row.collection_id,
    type: row.type,
    status: row.status,
    config: row.config ?? {},
    error_message: row.error_message,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    completed_at: row.completed_at?.toISOString() ?? null,
    progress: progressOf(row),
    result: ((row.metadata as Record<string, unknown> | null)?.['result'] as Record<string, unknown> | undefined) ?? null,
  };
}

/**
 * The operation as the Python original's v2-release web UI reads it (e0d751b5, `Operation.progress?:
 * number // 0-100`): `progress` is the percentage, the contract's object moves to `progress_details`.
 * Only the legacy list form (`GET /api/v2/operations?limit=`) answers this; see docs/api.md.
 */
export function toLegacyOperationJson(row: OperationRow): LegacyOperationJson {
  const json = toOperationJson(row);
  return { ...json, progress: json.progress.percentage, progress_details: json.progress };
}
