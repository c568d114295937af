import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Kysely's view of the tables created by the migrations in ./migrations. Kept by hand, next to the
 * migrations; the repository suite exercises every column against both backends.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
// bigint columns come back from `pg` as strings unless parsed; the database layer registers a
// parser that turns int8 into number (safe: our counters stay far below 2^53).
type BigIntColumn = ColumnType<number, number | bigint | undefined, number | bigint>;
type Json = ColumnType<Record<string, unknown>, string | Record<string, unknown> | undefined, string | Record<string, unknown>>;
type NullableJson = ColumnType<
  Record<string, unknown> | null,
  string | Record<string, unknown> | null | undefined,
  string | Record<string, unknown> | null
>;

export type CollectionStatus = 'pending' | 'ready' | 'processing' | 'error' | 'degraded';
export type OperationType = 'index' | 'append' | 'reindex' | 'remove_source' | 'delete' | 'sync';
export type OperationStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type DocumentStatus = 'pending' | 'processing' | 'completed' | 'failed';
export type PermissionLevel = 'read' | 'write' | 'admin';

export const COLLECTION_STATUSES: readonly CollectionStatus[] = ['pending', 'ready', 'processing', 'error', 'degraded'];
export const OPERATION_TYPES: readonly OperationType[] = ['index', 'append', 'reindex', 'remove_source', 'delete', 'sync'];
export const OPERATION_STATUSES: readonly OperationStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
export const DOCUMENT_STATUSES: readonly DocumentStatus[] = ['pending', 'processing', 'completed', 'failed'];

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  full_name: string | null;
  hashed_password: string;
  is_active: Generated<boolean>;
  is_superuser: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_login: NullableTimestamp;
  /** Folders this user may index (admin-set); null = not configured. See src/users/user-document-roots.ts. */
  document_roots: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  expires_at: Timestamp;
  created_at: Timestamp;
  is_revoked: Generated<boolean>;
  revoked_at: NullableTimestamp;
  /** Shared by every row of one login's rotation chain; access tokens carry it as `sid`. */
  session_id: Generated<string>;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: number;
  name: string;
  key_hash: string;
  key_prefix: string | null;
  permissions: NullableJson;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  created_at: Timestamp;
  is_active: Generated<boolean>;
}

export interface CollectionsTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  owner_id: number;
  vector_store_name: string;
  embedding_model: string;
  embedding_dimension: number | null;
  quantization: Generated<string>;
  chunk_size: Generated<number>;
  chunk_overlap: Generated<number>;
  is_public: Generated<boolean>;
  status: Generated<CollectionStatus>;
  status_message: string | null;
  metadata: Json;
  active_generation: Generated<number>;
  needs_reindex: Generated<boolean>;
  document_count: Generated<number>;
  vector_count: BigIntColumn;
  total_size_bytes: BigIntColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CollectionSourcesTable {
  id: Generated<number>;
  collection_id: string;
  source_path: string;
  source_type: Generated<string>;
  config: Json;
  document_count: Generated<number>;
  size_bytes: BigIntColumn;
  last_indexed_at: NullableTimestamp;
  metadata: Json;
  /** NULL: synced only on request. */
  sync_interval_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  /** When a worker should enqueue the next scheduled sync (claimed with SKIP LOCKED). */
  next_sync_at: NullableTimestamp;
  watch: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CollectionPermissionsTable {
  id: Generated<number>;
  collection_id: string;
  user_id: number | null;
  api_key_id: string | null;
  permission: PermissionLevel;
  created_at: Timestamp;
}

export interface CollectionResourceLimitsTable {
  id: Generated<number>;
  collection_id: string;
  max_documents: number | null;
  max_storage_gb: number | null;
  max_operations_per_hour: number | null;
  max_sources: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OperationsTable {
  id: Generated<string>;
  collection_id: string;
  user_id: number | null;
  type: OperationType;
  status: Generated<OperationStatus>;
  config: Json;
  error_message: string | null;
  task_id: string | null;
  metadata: Json;
  total_files: Generated<number>;
  processed_files: Generated<number>;
  failed_files: Generated<number>;
  current_file: string | null;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_after: Timestamp;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  heartbeat_at: NullableTimestamp;
  cancel_requested: Generated<boolean>;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
}

export interface OperationMetricsTable {
  id: Generated<number>;
  operation_id: string;
  metric_name: string;
  metric_value: number;
  recorded_at: Timestamp;
}

export interface CollectionAuditLogTable {
  id: Generated<number>;
  collection_id: string;
  operation_id: string | null;
  user_id: number | null;
  action: string;
  details: NullableJson;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  collection_id: string;
  source_id: number | null;
  file_path: string;
  file_name: string;
  file_size: BigIntColumn;
  mime_type: string | null;
  content_hash: string;
  status: Generated<DocumentStatus>;
  error_message: string | null;
  chunk_count: Generated<number>;
  metadata: Json;
  file_modified_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ChunksTable {
  id: Generated<string>;
  collection_id: string;
  document_id: string;
  generation: Generated<number>;
  chunk_index: number;
  text: string;
  start_offset: number | null;
  end_offset: number | null;
  page: number | null;
  metadata: Json;
  /** Title, heading path and file name: the weight-A field of `tsv` (migration 20261201T0900). */
  context: Generated<string>;
  tsv: ColumnType<string, never, never>;
  context_tsv: ColumnType<string, never, never>;
  created_at: Timestamp;
}

/** BM25 document frequency per lexeme, per collection generation; maintained by triggers on chunks. */
export interface ChunkTermStatsTable {
  collection_id: string;
  generation: number;
  lexeme: string;
  chunk_count: number;
}

/** Chunk count and total `length(tsv)` per collection generation; maintained by triggers on chunks. */
export interface ChunkTextStatsTable {
  collection_id: string;
  generation: number;
  chunk_count: ColumnType<string, never, never>;
  total_length: ColumnType<string, never, never>;
}

export interface ChunkEmbeddingsTable {
  chunk_id: string;
  collection_id: string;
  model: string;
  dimension: number;
  /** pgvector text form '[0.1,0.2,…]' on the wire; see chunk.repository for the encoding. */
  embedding: string;
  /** sha256 hex of (model, embedding input); NULL on rows written before it existed. */
  embedding_key: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * One `semantik migrate-sqlite` run (migration 20261124T0800). `progress` is per target table:
 * `{ lastKey, rows, done, deferred? }` (src/migrate-sqlite/import-run.repository.ts), committed with
 * each batch; `report` is the run's JSON report once it finished.
 */
export interface SqliteImportRunsTable {
  id: Generated<number>;
  source_fingerprint: string;
  source_path: string;
  format: string;
  status: ColumnType<'running' | 'completed' | 'failed', 'running' | 'completed' | 'failed' | undefined, 'running' | 'completed' | 'failed'>;
  progress: Json;
  started_at: Timestamp;
  updated_at: Timestamp;
  finished_at: NullableTimestamp;
  report: NullableJson;
}

export interface DB {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  collections: CollectionsTable;
  collection_sources: CollectionSourcesTable;
  collection_permissions: CollectionPermissionsTable;
  collection_resource_limits: CollectionResourceLimitsTable;
  operations: OperationsTable;
  operation_metrics: OperationMetricsTable;
  collection_audit_log: CollectionAuditLogTable;
  documents: DocumentsTable;
  chunks: ChunksTable;
  chunk_embeddings: ChunkEmbeddingsTable;
  chunk_term_stats: ChunkTermStatsTable;
  chunk_text_stats: ChunkTextStatsTable;
  sqlite_import_runs: SqliteImportRunsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type CollectionRow = Selectable<CollectionsTable>;
export type NewCollection = Insertable<CollectionsTable>;
export type CollectionUpdate = Updateable<CollectionsTable>;
export type CollectionSourceRow = Selectable<CollectionSourcesTable>;
export type CollectionPermissionRow = Selectable<CollectionPermissionsTable>;
export type CollectionResourceLimitRow = Selectable<CollectionResourceLimitsTable>;
export type OperationRow = Selectable<OperationsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type OperationMetricRow = Selectable<OperationMetricsTable>;
export type AuditLogRow = Selectable<CollectionAuditLogTable>;
export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;
export type ChunkRow = Selectable<ChunksTable>;
