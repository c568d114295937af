import { canonicalJson, jsonObject, type JsonValue, toJsonValue } from './canonical-json.js';
import type { ColumnSpec, ColumnType } from './checksum.js';
import type { DetectedFormat } from './format-detector.js';
import { type ImportPlan, metadataFrom, type ProducedRow, RowConverter, type TableJob, type TransformOptions } from './import-plan.js';
import type { ImportRecorder } from './report.js';
import type { SqliteSource } from './sqlite-source.js';
import { INT4_MAX } from './value-converters.js';

/**
 * Collections-era files (contract/legacy-sqlite-schema.sql) map table for table onto the target:
 * same bigint ids, VARCHAR uuids → uuid (non-uuids derive a stable v5 uuid), UPPERCASE enum names →
 * lower-case values, DATETIME text → timestamptz UTC, 0/1 → boolean, JSON text → jsonb, meta → metadata.
 */
export const REINDEX_COMMAND = 'semantik reindex --all';
export const REINDEX_STATUS_MESSAGE =
  'Imported from a legacy SQLite database: the vectors stayed in the old vector store, so this collection needs a reindex (run `semantik reindex --all`, or start one from the UI).';

type Row = Record<string, unknown> & { __rowid: number };

function cols(spec: string): ColumnSpec[] {
  return spec
    .trim()
    .split(/\s*,\s*/)
    .map((entry) => {
      const [name, type] = entry.split(':') as [string, ColumnType];
      return { name, type };
    });
}

export const TARGET_COLUMNS = {
  users: cols('id:bigint, username:text, email:text, full_name:text, hashed_password:text, is_active:bool, is_superuser:bool, created_at:timestamptz, updated_at:timestamptz, last_login:timestamptz'),
  refresh_tokens: cols('id:bigint, user_id:bigint, token_hash:text, expires_at:timestamptz, created_at:timestamptz, is_revoked:bool'),
  api_keys: cols('id:uuid, user_id:bigint, name:text, key_hash:text, permissions:jsonb, last_used_at:timestamptz, expires_at:timestamptz, created_at:timestamptz, is_active:bool'),
  collections: cols(
    'id:uuid, name:text, description:text, owner_id:bigint, vector_store_name:text, embedding_model:text, embedding_dimension:int, quantization:text, chunk_size:int, chunk_overlap:int, is_public:bool, status:text, status_message:text, metadata:jsonb, needs_reindex:bool, document_count:int, vector_count:bigint, total_size_bytes:bigint, created_at:timestamptz, updated_at:timestamptz',
  ),
  collection_sources: cols('id:bigint, collection_id:uuid, source_path:text, source_type:text, document_count:int, size_bytes:bigint, last_indexed_at:timestamptz, metadata:jsonb, created_at:timestamptz, updated_at:timestamptz'),
  collection_permissions: cols('id:bigint, collection_id:uuid, user_id:bigint, api_key_id:uuid, permission:text, created_at:timestamptz'),
  collection_resource_limits: cols('id:bigint, collection_id:uuid, max_documents:int, max_storage_gb:float, max_operations_per_hour:int, max_sources:int, created_at:timestamptz, updated_at:timestamptz'),
  operations: cols('id:uuid, collection_id:uuid, user_id:bigint, type:text, status:text, config:jsonb, error_message:text, task_id:text, metadata:jsonb, created_at:timestamptz, started_at:timestamptz, completed_at:timestamptz'),
  operation_metrics: cols('id:bigint, operation_id:uuid, metric_name:text, metric_value:float, recorded_at:timestamptz'),
  documents: cols('id:uuid, collection_id:uuid, source_id:bigint, file_path:text, file_name:text, file_size:bigint, mime_type:text, content_hash:text, status:text, error_message:text, chunk_count:int, metadata:jsonb, file_modified_at:timestamptz, created_at:timestamptz, updated_at:timestamptz'),
  collection_audit_log: cols('id:bigint, collection_id:uuid, operation_id:uuid, user_id:bigint, action:text, details:jsonb, ip_address:text, user_agent:text, created_at:timestamptz'),
  chunks: cols('id:uuid, collection_id:uuid, document_id:uuid, generation:int, chunk_index:int, text:text, start_offset:int, end_offset:int, page:int, metadata:jsonb, created_at:timestamptz'),
} satisfies Record<string, ColumnSpec[]>;

const COMMON_CONVERSIONS = ['DATETIME text → timestamptz (UTC, microseconds kept)', 'BOOLEAN 0/1 → boolean', 'JSON text → jsonb (invalid JSON is a problem)'];

const COLLECTION_STATUSES = ['pending', 'ready', 'processing', 'error', 'degraded'] as const;
const OPERATION_TYPES = ['index', 'append', 'reindex', 'remove_source', 'delete'] as const;
const OPERATION_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
const DOCUMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;

/**
 * The original's second Alembic revision (20250727151108) added DELETED to document_status, and its
 * remove_source marks a source's documents DELETED instead of deleting them (their vectors are
 * dropped). Our schema has no such state — a document row is searchable once indexed — so they are
 * not imported, nor their chunks; the report counts them under this reason.
 */
export const DELETED_DOCUMENT_REASON = 'deleted in the legacy install (status DELETED, e.g. by remove_source): not searchable there, not imported';

/** DELETED in either spelling (the member name, or the value the later lower-case revisions wrote). */
function isDeletedStatus(value: unknown): boolean {
  return value === 'DELETED' || value === 'deleted';
}
const PERMISSIONS = ['read', 'write', 'admin'] as const;

/** Legacy operations still queued or running when the old install stopped: their task queue is gone. */
export const INTERRUPTED_OPERATION_MESSAGE =
  'Interrupted: this operation was still queued or running in the legacy install, whose task queue no longer exists; imported as cancelled (original status in metadata.legacy.status). Reindex the collection to rebuild it.';

/** Rows per SQLite read in scanTable. */
const SCAN_PAGE_ROWS = 2_000;

/**
 * Rows with rowid > afterKey, in rowid order, as objects keyed by column name. Read in pages of raw
 * arrays: better-sqlite3 builds a row object per row natively, which on the bench file's documents
 * table took 1.2–2.5 s of a 300k-row scan vs 0.9 s for raw pages plus this loop. Pages also mean no
 * statement stays open across the COPY's awaits.
 */
export function* scanTable(source: SqliteSource, table: string, afterKey: number): Generator<Row> {
  if (!source.hasTable(table)) return;
  const stmt = source.db.prepare(`SELECT rowid AS __rowid, * FROM "${table.replace(/"/g, '""')}" WHERE rowid > ? ORDER BY rowid LIMIT ${SCAN_PAGE_ROWS}`).raw(true);
  // A `__proto__` column (never one of ours) would set the prototype instead of a key: left out.
  const names = stmt.columns().map((c) => (c.name === '__proto__' ? undefined : c.name));
  for (let last = afterKey; ; ) {
    const page = stmt.all(last) as unknown[][];
    for (const values of page) {
      const row = {} as Row;
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (name !== undefined) (row as Record<string, unknown>)[name] = values[i];
      }
      yield row;
    }
    if (page.length < SCAN_PAGE_ROWS) return;
    last = page[page.length - 1]![0] as number;
  }
}

export function buildCollectionsEraPlan(
  source: SqliteSource,
  format: DetectedFormat,
  recorder: ImportRecorder,
  options: TransformOptions,
): ImportPlan {
  // Parent keys seen (emitted) so far, filled during the analysis pass in foreign-key order.
  const users = new Set<number>();
  const apiKeys = new Map<string, string>();
  const collections = new Map<string, string>();
  const sources = new Set<number>();
  const operations = new Map<number, string>();
  const documents = new Map<string, string>();
  const deletedDocuments = new Set<string>();
  const keepDocumentIds = source.hasTable('chunks');
  const seenUsernames = new Map<string, string>();
  const seenEmails = new Map<string, string>();
  let reindexCount = 0;

  const derived = (table: string) => (legacy: string, uuid: string) =>
    recorder.decide('derived-uuid', 'legacy ids that are not uuids → deterministic uuid v5 (mapping recorded here)', `${table} ${JSON.stringify(legacy)} → ${uuid}`);

  /** Checks a foreign key against the parents emitted so far; a missing parent is an orphan. */
  function parent<K, V>(c: RowConverter, column: string, value: K | null, parents: Set<K> | Map<K, V>, parentTable: string): V | K | null {
    if (value === null || !c.ok) return null;
    if (parents instanceof Map) {
      const mapped = parents.get(value);
      if (mapped !== undefined) return mapped;
    } else if (parents.has(value)) return value;
    c.fail(column, `references ${parentTable} ${JSON.stringify(value)}, which is missing${options.skipOrphans ? ' (row skipped)' : ''}`, 'orphan');
    return null;
  }

  function job(table: keyof typeof TARGET_COLUMNS, sourceTable: string, identity: boolean, conversions: string[], convert: (row: Row, c: RowConverter) => unknown[]): TableJob {
    const columns = TARGET_COLUMNS[table];
    return {
      table,
      sourceTable,
      sourceRows: source.hasTable(sourceTable) ? source.count(sourceTable) : 0,
      columns,
      identity,
      conversions: [...conversions, ...COMMON_CONVERSIONS],
      *rows(afterKey: number): Generator<ProducedRow> {
        const c = new RowConverter(recorder, table);
        for (const row of scanTable(source, sourceTable, afterKey)) {
          c.begin(row['id'] ?? row.__rowid);
          const values = convert(row, c);
          if (c.skipReason !== undefined) recorder.skippedRow(table, c.skipReason);
          else if (c.ok) yield { key: row.__rowid, values };
          else if (options.skipOrphans && c.onlyOrphans) recorder.skippedOrphan(table);
        }
      },
    };
  }

  const tables: TableJob[] = [
    job('users', 'users', true, ['is_active NULL → true (the legacy default)', 'updated_at NULL → created_at'], (r, c) => {
      const id = c.int('id', r['id']);
      const username = c.text('username', r['username']);
      const email = c.text('email', r['email']);
      if (username !== null && username.trim() === '') c.fail('username', 'blank username', 'constraint');
      // The target's unique indexes are case-insensitive; the legacy ones were not.
      for (const [value, seen, column] of [[username, seenUsernames, 'username'], [email, seenEmails, 'email']] as const) {
        if (value === null) continue;
        const other = seen.get(value.toLowerCase());
        if (other !== undefined && other !== String(id)) c.fail(column, `${column} ${JSON.stringify(value)} differs only in letter case from user ${other}'s; the target treats them as the same`, 'constraint');
        else seen.set(value.toLowerCase(), String(id));
      }
      let isActive = c.bool('is_active', r['is_active'], true);
      if (isActive === null && c.ok) {
        isActive = true;
        recorder.decide('users-is-active-default', 'users.is_active NULL → true (the legacy default)', `user ${id}`);
      }
      const createdAt = c.timestamp('created_at', r['created_at']);
      let updatedAt = c.timestamp('updated_at', r['updated_at'], true);
      if (updatedAt === null && c.ok) {
        updatedAt = createdAt;
        recorder.decide('users-updated-at-default', 'users.updated_at NULL → created_at', `user ${id}`);
      }
      if (c.ok && id !== null) users.add(id);
      return [id, username, email, c.text('full_name', r['full_name'], true), c.text('hashed_password', r['hashed_password']), isActive,
        c.bool('is_superuser', r['is_superuser']), createdAt, updatedAt, c.timestamp('last_login', r['last_login'], true)];
    }),

    job('refresh_tokens', 'refresh_tokens', true, ['is_revoked NULL → false'], (r, c) => {
      const userId = parent(c, 'user_id', c.int('user_id', r['user_id']), users, 'users');
      let revoked = c.bool('is_revoked', r['is_revoked'], true);
      if (revoked === null && c.ok) {
        revoked = false;
        recorder.decide('refresh-token-revoked-default', 'refresh_tokens.is_revoked NULL → false (the legacy default)', `token ${c.rowId}`);
      }
      return [c.int('id', r['id']), userId, c.text('token_hash', r['token_hash']), c.timestamp('expires_at', r['expires_at']), c.timestamp('created_at', r['created_at']), revoked];
    }),

    job('api_keys', 'api_keys', false, ['id VARCHAR → uuid'], (r, c) => {
      const id = c.uuid('id', r['id'], 'api_keys', derived('api_keys'));
      const userId = parent(c, 'user_id', c.int('user_id', r['user_id']), users, 'users');
      const values = [id, userId, c.text('name', r['name']), c.text('key_hash', r['key_hash']), c.json('permissions', r['permissions']),
        c.timestamp('last_used_at', r['last_used_at'], true), c.timestamp('expires_at', r['expires_at'], true), c.timestamp('created_at', r['created_at']),
        c.bool('is_active', r['is_active'])];
      if (c.ok && id !== null) apiKeys.set(String(r['id']), id);
      return values;
    }),

    job('collections', 'collections', false, ['id VARCHAR → uuid', 'meta → metadata (NULL → {}); qdrant_collections, qdrant_staging, status, status_message, vector_count → metadata.legacy', 'status → pending + needs_reindex (vectors are not in the file)'], (r, c) => {
      const id = c.uuid('id', r['id'], 'collections', derived('collections'));
      const ownerId = parent(c, 'owner_id', c.int('owner_id', r['owner_id']), users, 'users');
      const name = c.text('name', r['name']);
      if (name !== null && name.trim() === '') c.fail('name', 'blank collection name', 'constraint');
      const chunkSize = c.int('chunk_size', r['chunk_size'], false, { min: 1, max: INT4_MAX });
      const chunkOverlap = c.int('chunk_overlap', r['chunk_overlap'], false, { min: 0, max: INT4_MAX });
      if (chunkSize !== null && chunkOverlap !== null && chunkOverlap >= chunkSize) c.fail('chunk_overlap', `chunk_overlap ${chunkOverlap} must be below chunk_size ${chunkSize}`, 'constraint');
      const legacyStatus = c.enumValue('status', r['status'], COLLECTION_STATUSES, 'collection status');
      const vectorCount = c.int('vector_count', r['vector_count']);
      const metadata = metadataFrom(c.jsonTree('meta', r['meta']), {
        status: legacyStatus,
        status_message: (c.text('status_message', r['status_message'], true) ?? undefined) as JsonValue | undefined,
        qdrant_collections: c.jsonTree('qdrant_collections', r['qdrant_collections']),
        qdrant_staging: c.jsonTree('qdrant_staging', r['qdrant_staging']),
        vector_count: vectorCount === null ? undefined : toJsonValue(vectorCount),
      });
      if (c.ok && id !== null) {
        collections.set(String(r['id']), id);
        reindexCount += 1;
        recorder.decide('needs-reindex', 'collections marked needs_reindex (status pending; legacy status and vector_count kept in metadata.legacy)', name ?? undefined);
      }
      return [id, name, c.text('description', r['description'], true), ownerId, c.text('vector_store_name', r['vector_store_name']),
        c.text('embedding_model', r['embedding_model']), null, c.text('quantization', r['quantization']), chunkSize, chunkOverlap,
        c.bool('is_public', r['is_public']), 'pending', REINDEX_STATUS_MESSAGE, canonicalJson(metadata), true,
        c.int('document_count', r['document_count'], false, { min: 0, max: INT4_MAX }), 0, c.int('total_size_bytes', r['total_size_bytes']),
        c.timestamp('created_at', r['created_at']), c.timestamp('updated_at', r['updated_at'])];
    }),

    job('collection_sources', 'collection_sources', true, ['meta → metadata (NULL → {})'], (r, c) => {
      const id = c.int('id', r['id']);
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const metadata = metadataFrom(c.jsonTree('meta', r['meta']), {});
      if (c.ok && id !== null) sources.add(id);
      return [id, collectionId, c.text('source_path', r['source_path']), c.text('source_type', r['source_type']),
        c.int('document_count', r['document_count'], false, { min: 0, max: INT4_MAX }), c.int('size_bytes', r['size_bytes']),
        c.timestamp('last_indexed_at', r['last_indexed_at'], true), canonicalJson(metadata), c.timestamp('created_at', r['created_at']), c.timestamp('updated_at', r['updated_at'])];
    }),

    job('collection_permissions', 'collection_permissions', true, ['permission READ/WRITE/ADMIN → read/write/admin'], (r, c) => {
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const userId = parent(c, 'user_id', c.int('user_id', r['user_id'], true), users, 'users');
      const apiKeyId = parent(c, 'api_key_id', c.text('api_key_id', r['api_key_id'], true), apiKeys, 'api_keys');
      if ((userId === null) === (apiKeyId === null) && c.ok) c.fail(undefined, 'exactly one of user_id and api_key_id must be set', 'constraint');
      return [c.int('id', r['id']), collectionId, userId, apiKeyId, c.enumValue('permission', r['permission'], PERMISSIONS, 'permission'), c.timestamp('created_at', r['created_at'])];
    }),

    job('collection_resource_limits', 'collection_resource_limits', true, [], (r, c) => {
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const limit = (column: string) => c.int(column, r[column], true, { min: 0, max: INT4_MAX });
      const storage = c.float('max_storage_gb', r['max_storage_gb'], true);
      if (storage !== null && !(storage >= 0)) c.fail('max_storage_gb', `${storage} is below 0`, 'constraint');
      return [c.int('id', r['id']), collectionId, limit('max_documents'), storage, limit('max_operations_per_hour'), limit('max_sources'),
        c.timestamp('created_at', r['created_at']), c.timestamp('updated_at', r['updated_at'])];
    }),

    job('operations', 'operations', false, ['id INTEGER + uuid → id uuid (integer kept in metadata.legacy.id for metrics and audit rows)', 'type/status UPPERCASE → lower-case', 'meta → metadata (NULL → {})', 'pending/processing → cancelled (the legacy task queue is gone)'], (r, c) => {
      const legacyId = c.int('id', r['id']);
      const id = c.uuid('uuid', r['uuid'], 'operations', derived('operations'));
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const userId = parent(c, 'user_id', c.int('user_id', r['user_id']), users, 'users');
      let status = c.enumValue('status', r['status'], OPERATION_STATUSES, 'operation status');
      let errorMessage = c.text('error_message', r['error_message'], true);
      let completedAt = c.timestamp('completed_at', r['completed_at'], true);
      const legacy: Record<string, JsonValue | undefined> = { id: legacyId === null ? undefined : toJsonValue(legacyId) };
      if (c.ok && (status === 'pending' || status === 'processing')) {
        legacy['status'] = status;
        recorder.decide('interrupted-operations', 'operations still pending/processing in the legacy install → cancelled (original status in metadata.legacy.status)', `operation ${id}`);
        status = 'cancelled';
        errorMessage = errorMessage ?? INTERRUPTED_OPERATION_MESSAGE;
        completedAt = completedAt ?? c.timestamp('created_at', r['created_at']);
      }
      const metadata = metadataFrom(c.jsonTree('meta', r['meta']), legacy);
      if (c.ok && legacyId !== null && id !== null) operations.set(legacyId, id);
      return [id, collectionId, userId, c.enumValue('type', r['type'], OPERATION_TYPES, 'operation type'), status, c.json('config', r['config'], false, '{}'),
        errorMessage, c.text('task_id', r['task_id'], true), canonicalJson(metadata), c.timestamp('created_at', r['created_at']),
        c.timestamp('started_at', r['started_at'], true), completedAt];
    }),

    job('operation_metrics', 'operation_metrics', true, ['operation_id INTEGER → the operation uuid'], (r, c) => {
      const operationId = parent(c, 'operation_id', c.int('operation_id', r['operation_id']), operations, 'operations');
      return [c.int('id', r['id']), operationId, c.text('metric_name', r['metric_name']), c.float('metric_value', r['metric_value']), c.timestamp('recorded_at', r['recorded_at'])];
    }),

    job('collection_audit_log', 'collection_audit_log', true, ['operation_id INTEGER → the operation uuid'], (r, c) => {
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const operationId = parent(c, 'operation_id', c.int('operation_id', r['operation_id'], true), operations, 'operations');
      const userId = parent(c, 'user_id', c.int('user_id', r['user_id'], true), users, 'users');
      return [c.int('id', r['id']), collectionId, operationId, userId, c.text('action', r['action']), c.json('details', r['details']),
        c.text('ip_address', r['ip_address'], true), c.text('user_agent', r['user_agent'], true), c.timestamp('created_at', r['created_at'])];
    }),

    // Documents (the largest table) go last, after operations and their metrics: those then stream
    // without competing for the 2 cores with the documents' index rebuild (bench:migrate under load:
    // operation_metrics was at 74–85% of raw COPY while that rebuild ran; 7.5 s → 7.1 s whole command),
    // and the documents' checksum runs beside their own rebuild at the end.
    job('documents', 'documents', false, ['id VARCHAR → uuid', 'status UPPERCASE → lower-case; DELETED → not imported (counted as skipped)', 'meta → metadata (NULL → {})'], (r, c) => {
      if (isDeletedStatus(r['status'])) {
        // Checked before the parents: remove_source may have deleted the source row these point at.
        if (keepDocumentIds) deletedDocuments.add(String(r['id']));
        recorder.decide('deleted-documents', `documents with status DELETED → ${DELETED_DOCUMENT_REASON}${keepDocumentIds ? ' (their chunks neither)' : ''}`, String(r['id']));
        c.skip(DELETED_DOCUMENT_REASON);
        return [];
      }
      const id = c.uuid('id', r['id'], 'documents', derived('documents'));
      const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
      const sourceId = parent(c, 'source_id', c.int('source_id', r['source_id'], true), sources, 'collection_sources');
      const metadata = metadataFrom(c.jsonTree('meta', r['meta']), {});
      if (keepDocumentIds && c.ok && id !== null) documents.set(String(r['id']), id);
      return [id, collectionId, sourceId, c.text('file_path', r['file_path']), c.text('file_name', r['file_name']),
        c.int('file_size', r['file_size'], false, { min: 0 }), c.text('mime_type', r['mime_type'], true), c.text('content_hash', r['content_hash']),
        c.enumValue('status', r['status'], DOCUMENT_STATUSES, 'document status'), c.text('error_message', r['error_message'], true),
        c.int('chunk_count', r['chunk_count'], false, { min: 0, max: INT4_MAX }), canonicalJson(metadata), null,
        c.timestamp('created_at', r['created_at']), c.timestamp('updated_at', r['updated_at'])];
    }),
  ];

  if (source.hasTable('chunks')) tables.push(chunksJob(source, recorder, options, collections, documents, deletedDocuments, parent));

  return {
    format,
    tables,
    reconciliation: () => [],
    reindexCollections: () => reindexCount,
  };
}

/**
 * Some collections-era builds kept chunk text in SQLite (the vectors never were). Its schema is not
 * in the contract, so columns are matched by the names those builds used; an unrecognised shape is
 * a problem rather than a silent skip.
 */
function chunksJob(
  source: SqliteSource,
  recorder: ImportRecorder,
  options: TransformOptions,
  collections: Map<string, string>,
  documents: Map<string, string>,
  deletedDocuments: ReadonlySet<string>,
  parent: <K, V>(c: RowConverter, column: string, value: K | null, parents: Set<K> | Map<K, V>, parentTable: string) => V | K | null,
): TableJob {
  const pick = (...names: string[]) => names.find((n) => source.hasColumn('chunks', n));
  const textCol = pick('text', 'content');
  const required = { id: pick('id'), collection_id: pick('collection_id'), document_id: pick('document_id'), chunk_index: pick('chunk_index'), text: textCol };
  const missing = Object.entries(required).filter(([, v]) => !v).map(([k]) => k);
  const startCol = pick('start_offset', 'start_char');
  const endCol = pick('end_offset', 'end_char');
  const pageCol = pick('page', 'page_number');
  const metaCol = pick('metadata', 'meta');
  return {
    table: 'chunks',
    sourceTable: 'chunks',
    sourceRows: source.count('chunks'),
    columns: TARGET_COLUMNS.chunks,
    identity: false,
    conversions: ['id VARCHAR → uuid', `${textCol ?? 'text'} → text`, 'generation 1 (embeddings are rebuilt by the reindex)', ...COMMON_CONVERSIONS],
    *rows(afterKey) {
      const c = new RowConverter(recorder, 'chunks');
      if (missing.length) {
        c.begin('*');
        c.fail(undefined, `the source chunks table has no ${missing.join(', ')} column; cannot map it`, 'unsupported-table');
        return;
      }
      for (const r of scanTable(source, 'chunks', afterKey)) {
        c.begin(r['id'] ?? r.__rowid);
        if (deletedDocuments.has(String(r['document_id']))) {
          recorder.skippedRow('chunks', `its document was ${DELETED_DOCUMENT_REASON.split(':')[0]}`);
          continue;
        }
        const id = c.uuid('id', r['id'], 'chunks');
        const collectionId = parent(c, 'collection_id', c.text('collection_id', r['collection_id']), collections, 'collections');
        const documentId = parent(c, 'document_id', c.text('document_id', r['document_id']), documents, 'documents');
        const opt = (col: string | undefined) => (col ? c.int(col, r[col], true) : null);
        const metadata = metaCol ? metadataFrom(c.jsonTree(metaCol, r[metaCol]), {}) : jsonObject();
        const createdAt = source.hasColumn('chunks', 'created_at') ? c.timestamp('created_at', r['created_at']) : null;
        const values = [id, collectionId, documentId, 1, c.int('chunk_index', r['chunk_index'], false, { min: 0, max: INT4_MAX }),
          c.text(textCol!, r[textCol!]), opt(startCol), opt(endCol), opt(pageCol), canonicalJson(metadata), createdAt ?? '1970-01-01T00:00:00.000000Z'];
        if (c.ok) yield { key: r.__rowid, values };
        else if (options.skipOrphans && c.onlyOrphans) recorder.skippedOrphan('chunks');
      }
    },
  };
}
