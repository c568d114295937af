// JSON shapes from the shared contract's API.md (the server implements exactly these).

export interface User {
  id: string | number;
  username: string;
  email: string;
  full_name: string | null;
  is_active: boolean;
  is_superuser: boolean;
  created_at: string;
  last_login?: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
}

/** POST /api/v2/ws-tickets: opens one WebSocket within `expires_in` seconds. */
export interface SocketTicket {
  ticket: string;
  expires_in: number;
}

export type CollectionStatus = 'pending' | 'ready' | 'processing' | 'error' | 'degraded';

export interface Collection {
  id: string;
  name: string;
  description: string | null;
  owner_id: string | number;
  vector_store_name: string;
  embedding_model: string;
  quantization: string | null;
  chunk_size: number;
  chunk_overlap: number;
  is_public: boolean;
  status: CollectionStatus;
  status_message: string | null;
  created_at: string;
  updated_at: string;
  document_count: number;
  vector_count: number;
  total_size_bytes: number;
  metadata: Record<string, unknown> | null;
}

export interface CollectionSource {
  id: string | number;
  source_path: string;
  source_type: string;
  document_count: number;
  size_bytes: number;
  last_indexed_at: string | null;
  /** Minutes between scheduled syncs (null: only on request). */
  sync_interval_minutes?: number | null;
  next_sync_at?: string | null;
  watch?: boolean;
}

export interface CollectionDetails extends Collection {
  sources: CollectionSource[];
}

export interface CollectionList {
  collections: Collection[];
  total: number;
  page: number;
  per_page: number;
}

export interface CreateCollectionBody {
  name: string;
  description?: string;
  embedding_model?: string;
  chunk_size?: number;
  chunk_overlap?: number;
  is_public?: boolean;
}

export interface UpdateCollectionBody {
  name?: string;
  description?: string;
  is_public?: boolean;
}

export interface ReindexBody {
  chunk_size?: number;
  chunk_overlap?: number;
  embedding_model?: string;
}

export type DocumentStatus = 'pending' | 'processing' | 'completed' | 'failed' | (string & {});

export interface CollectionDocument {
  id: string;
  collection_id: string;
  source_id: string | number | null;
  file_path: string;
  file_name: string;
  file_size: number;
  mime_type: string | null;
  content_hash: string;
  status: DocumentStatus;
  error_message: string | null;
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

export interface DocumentList {
  documents: CollectionDocument[];
  total: number;
  page: number;
  per_page: number;
}

export type OperationType = 'index' | 'append' | 'reindex' | 'remove_source' | 'delete' | 'sync';
export type OperationStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface OperationProgress {
  total_files: number;
  processed_files: number;
  failed_files: number;
  current_file: string | null;
  percentage: number;
}

export interface Operation {
  id: string;
  collection_id: string;
  type: OperationType;
  status: OperationStatus;
  config: Record<string, unknown> | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress: OperationProgress | null;
  /** index/append/sync: added, changed, removed, unchanged, moved, failed (null until completed). */
  result?: Record<string, unknown> | null;
}

export interface OperationList {
  operations: Operation[];
  total: number;
  page: number;
  per_page: number;
}

export type OperationEventType =
  | 'operation_started'
  | 'progress'
  | 'operation_completed'
  | 'operation_failed'
  | 'operation_cancelled';

export interface OperationEvent {
  type: OperationEventType;
  operation_id: string;
  data: unknown;
}

export type SearchType = 'semantic' | 'keyword' | 'hybrid';

export interface SearchBody {
  collection_uuids: string[];
  query: string;
  k?: number;
  search_type?: SearchType;
  include_content?: boolean;
}

/** Best-matching passage of a chunk; highlights are [start, end) UTF-16 offsets into text. */
export interface SearchSnippet {
  text: string;
  highlights: Array<[number, number]>;
}

export interface SearchResult {
  document_id: string;
  chunk_id: string;
  collection_id: string;
  collection_name: string;
  file_name: string;
  file_path: string;
  score: number;
  text: string | null;
  /** null: no passage matched the query words; omitted by older servers (treat like null). */
  snippet?: SearchSnippet | null;
  metadata: Record<string, unknown> | null;
  embedding_model: string;
}

export interface SearchResponse {
  query: string;
  results: SearchResult[];
  total_results: number;
  collections_searched: { id: string; name: string; embedding_model: string }[];
  search_type: SearchType;
  search_time_ms: number;
}

/** `full` acts as the user; `read` may only read and search. */
export type ApiKeyScope = 'full' | 'read';

export interface ApiKey {
  id: string | number;
  name: string;
  created_at: string;
  expires_at: string | null;
  is_active: boolean;
  last_used_at?: string | null;
  scope?: ApiKeyScope;
  /** `null`/absent: every collection the user can reach. */
  collection_ids?: string[] | null;
}

export interface CreateApiKeyBody {
  name: string;
  expires_in_days?: number;
  scope: ApiKeyScope;
  collection_ids?: string[];
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['completed', 'failed', 'cancelled'];

export function isOperationActive(operation: Pick<Operation, 'status'>): boolean {
  return !TERMINAL_OPERATION_STATUSES.includes(operation.status);
}
