import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * Builders for legacy Semantik SQLite files, created with the exact DDL of the contract
 * (../shared/contract/legacy-sqlite-schema.sql, copied verbatim below so the tests do not depend on
 * a file outside the repository; collectionsEraDdlMatchesContract() checks the copy when it is there).
 */
export const COLLECTIONS_ERA_DDL = `-- Legacy Semantik SQLite schema (collections era), as SQLAlchemy created it on SQLite.
-- Value encodings in such a file: DATETIME = text 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC, no offset);
-- BOOLEAN = integer 0/1; JSON = JSON text; enum columns = the UPPERCASE member name (e.g. 'PENDING').
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR NOT NULL, 
	email VARCHAR NOT NULL, 
	full_name VARCHAR, 
	hashed_password VARCHAR NOT NULL, 
	is_active BOOLEAN, 
	is_superuser BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	last_login DATETIME, 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE TABLE api_keys (
	id VARCHAR NOT NULL, 
	user_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	key_hash VARCHAR NOT NULL, 
	permissions JSON, 
	last_used_at DATETIME, 
	expires_at DATETIME, 
	created_at DATETIME NOT NULL, 
	is_active BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_keys_is_active ON api_keys (is_active);
CREATE UNIQUE INDEX ix_api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);
CREATE TABLE collections (
	id VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	description TEXT, 
	owner_id INTEGER NOT NULL, 
	vector_store_name VARCHAR NOT NULL, 
	embedding_model VARCHAR NOT NULL, 
	quantization VARCHAR NOT NULL, 
	chunk_size INTEGER NOT NULL, 
	chunk_overlap INTEGER NOT NULL, 
	is_public BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	meta JSON, 
	status VARCHAR(10) NOT NULL, 
	status_message TEXT, 
	qdrant_collections JSON, 
	qdrant_staging JSON, 
	document_count INTEGER NOT NULL, 
	vector_count INTEGER NOT NULL, 
	total_size_bytes INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(owner_id) REFERENCES users (id), 
	UNIQUE (vector_store_name)
);
CREATE INDEX ix_collections_is_public ON collections (is_public);
CREATE UNIQUE INDEX ix_collections_name ON collections (name);
CREATE INDEX ix_collections_owner_id ON collections (owner_id);
CREATE INDEX ix_collections_status ON collections (status);
CREATE TABLE refresh_tokens (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	token_hash VARCHAR NOT NULL, 
	expires_at DATETIME NOT NULL, 
	created_at DATETIME NOT NULL, 
	is_revoked BOOLEAN, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX ix_refresh_tokens_token_hash ON refresh_tokens (token_hash);
CREATE TABLE collection_permissions (
	id INTEGER NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	user_id INTEGER, 
	api_key_id VARCHAR, 
	permission VARCHAR(5) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT check_user_or_api_key CHECK ((user_id IS NOT NULL AND api_key_id IS NULL) OR (user_id IS NULL AND api_key_id IS NOT NULL)), 
	FOREIGN KEY(api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE, 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_collection_permissions_api_key_id ON collection_permissions (api_key_id);
CREATE INDEX ix_collection_permissions_collection_id ON collection_permissions (collection_id);
CREATE UNIQUE INDEX ix_collection_permissions_unique_api_key ON collection_permissions (collection_id, api_key_id);
CREATE UNIQUE INDEX ix_collection_permissions_unique_user ON collection_permissions (collection_id, user_id);
CREATE INDEX ix_collection_permissions_user_id ON collection_permissions (user_id);
CREATE TABLE collection_resource_limits (
	id INTEGER NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	max_documents INTEGER, 
	max_storage_gb FLOAT, 
	max_operations_per_hour INTEGER, 
	max_sources INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	UNIQUE (collection_id)
);
CREATE TABLE collection_sources (
	id INTEGER NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	source_path VARCHAR NOT NULL, 
	source_type VARCHAR NOT NULL, 
	document_count INTEGER NOT NULL, 
	size_bytes INTEGER NOT NULL, 
	last_indexed_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	meta JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	CONSTRAINT uq_collection_source_path UNIQUE (collection_id, source_path)
);
CREATE INDEX ix_collection_sources_collection_id ON collection_sources (collection_id);
CREATE TABLE operations (
	id INTEGER NOT NULL, 
	uuid VARCHAR NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	user_id INTEGER NOT NULL, 
	type VARCHAR(13) NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	task_id VARCHAR, 
	config JSON NOT NULL, 
	error_message TEXT, 
	created_at DATETIME NOT NULL, 
	started_at DATETIME, 
	completed_at DATETIME, 
	meta JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	UNIQUE (uuid)
);
CREATE INDEX ix_operations_collection_id ON operations (collection_id);
CREATE INDEX ix_operations_created_at ON operations (created_at);
CREATE INDEX ix_operations_status ON operations (status);
CREATE INDEX ix_operations_type ON operations (type);
CREATE INDEX ix_operations_user_id ON operations (user_id);
CREATE TABLE collection_audit_log (
	id INTEGER NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	operation_id INTEGER, 
	user_id INTEGER, 
	action VARCHAR NOT NULL, 
	details JSON, 
	ip_address VARCHAR, 
	user_agent VARCHAR, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	FOREIGN KEY(operation_id) REFERENCES operations (id), 
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE INDEX ix_collection_audit_log_collection_id ON collection_audit_log (collection_id);
CREATE INDEX ix_collection_audit_log_created_at ON collection_audit_log (created_at);
CREATE INDEX ix_collection_audit_log_user_id ON collection_audit_log (user_id);
CREATE TABLE documents (
	id VARCHAR NOT NULL, 
	collection_id VARCHAR NOT NULL, 
	source_id INTEGER, 
	file_path VARCHAR NOT NULL, 
	file_name VARCHAR NOT NULL, 
	file_size INTEGER NOT NULL, 
	mime_type VARCHAR, 
	content_hash VARCHAR NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	error_message TEXT, 
	chunk_count INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	meta JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, 
	FOREIGN KEY(source_id) REFERENCES collection_sources (id)
);
CREATE UNIQUE INDEX ix_documents_collection_content_hash ON documents (collection_id, content_hash);
CREATE INDEX ix_documents_collection_id ON documents (collection_id);
CREATE INDEX ix_documents_content_hash ON documents (content_hash);
CREATE INDEX ix_documents_source_id ON documents (source_id);
CREATE INDEX ix_documents_status ON documents (status);
CREATE TABLE operation_metrics (
	id INTEGER NOT NULL, 
	operation_id INTEGER NOT NULL, 
	metric_name VARCHAR NOT NULL, 
	metric_value FLOAT NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(operation_id) REFERENCES operations (id) ON DELETE CASCADE
);
CREATE INDEX ix_operation_metrics_operation_id ON operation_metrics (operation_id);
CREATE INDEX ix_operation_metrics_recorded_at ON operation_metrics (recorded_at);
`;

export const CONTRACT_DDL_PATH = path.resolve(import.meta.dirname, '../../../shared/contract/legacy-sqlite-schema.sql');

export function collectionsEraDdlMatchesContract(): boolean | 'contract file not present' {
  if (!fs.existsSync(CONTRACT_DDL_PATH)) return 'contract file not present';
  return fs.readFileSync(CONTRACT_DDL_PATH, 'utf8') === COLLECTIONS_ERA_DDL;
}

export type LegacyDb = BetterSqlite3.Database;

/** A new collections-era file with the contract's schema and no rows. */
export function createCollectionsEraFile(file: string): LegacyDb {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  const db = new BetterSqlite3(file);
  // Legacy Semantik never enabled foreign keys (better-sqlite3 does by default), so orphans exist.
  db.pragma('foreign_keys = OFF');
  db.exec(COLLECTIONS_ERA_DDL);
  return db;
}

function insert(db: LegacyDb, table: string, row: Record<string, unknown>): void {
  const keys = Object.keys(row);
  db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((k) => '@' + k).join(', ')})`).run(row);
}

export const EDGE_IDS = {
  collectionReady: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  collectionNonUuid: 'legacy-collection-7',
  apiKey: '8c5f2a44-7f61-4c55-9d3f-5b0b1d7e4a10',
  apiKeyNonUuid: 'key_42',
  operationUuid: (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  documentUuid: (i: number) => `d0c00000-0000-4000-8000-${String(i).padStart(12, '0')}`,
};

const LONG_TEXT = 'Long text with ünïcödé and emoji 😀 — '.repeat(3_000); // ~120 KB
const NESTED_JSON = JSON.stringify({
  a: { b: { c: [1, 2.5, { d: 'deep', e: null, f: true }] } },
  num_float: 1.0,
  'ключ': 'значение',
  emoji: '🚀',
  escaped: 'tab\there "quotes" back\\slash\nnewline',
  big: 12345678901234567890,
  small: 1e-7,
  list: [],
  empty: {},
});

/**
 * Every edge case the issue lists: NULLs, unicode, emoji, ~120 KB text, nested JSON, datetimes
 * with and without fractions, booleans, every enum value, non-uuid ids, COPY-special characters.
 */
export function writeEdgeCaseRows(db: LegacyDb): void {
  const tx = db.transaction(() => {
    insert(db, 'users', { id: 1, username: 'admin', email: 'admin@example.test', full_name: 'Ådmin 😀', hashed_password: '$argon2id$v=19$m=65536,t=3,p=4$abc$def', is_active: 1, is_superuser: 1, created_at: '2024-01-02 03:04:05.123456', updated_at: '2024-01-02 03:04:05', last_login: '2024-06-01 10:00:00.5' });
    insert(db, 'users', { id: 2, username: 'bob\ttab', email: 'bob@example.test', full_name: null, hashed_password: '$2b$12$abcdefghijklmnopqrstuv', is_active: null, is_superuser: 0, created_at: '2023-12-31 23:59:59', updated_at: null, last_login: null });
    insert(db, 'users', { id: 7, username: 'ünïcödé', email: 'u@example.test', full_name: 'line1\nline2 \\ back', hashed_password: 'x', is_active: 0, is_superuser: 0, created_at: '2020-02-29 12:00:00.000001', updated_at: '2020-02-29 12:00:00.000001', last_login: '2020-03-01 00:00:00' });
    insert(db, 'refresh_tokens', { id: 1, user_id: 1, token_hash: 'hash-1', expires_at: '2030-01-01 00:00:00', created_at: '2024-01-01 00:00:00', is_revoked: null });
    insert(db, 'refresh_tokens', { id: 5, user_id: 2, token_hash: 'hash-5', expires_at: '2030-01-01 00:00:00.999999', created_at: '2024-01-01 00:00:00', is_revoked: 1 });
    insert(db, 'api_keys', { id: EDGE_IDS.apiKey, user_id: 1, name: 'ci key 🔑', key_hash: 'kh1', permissions: NESTED_JSON, last_used_at: null, expires_at: '2031-05-05 05:05:05', created_at: '2024-01-01 00:00:00', is_active: 1 });
    insert(db, 'api_keys', { id: EDGE_IDS.apiKeyNonUuid, user_id: 2, name: 'old key', key_hash: 'kh2', permissions: null, last_used_at: '2024-02-02 02:02:02.020202', expires_at: null, created_at: '2024-01-01 00:00:00', is_active: 0 });
    const statuses = ['PENDING', 'READY', 'PROCESSING', 'ERROR', 'DEGRADED'];
    statuses.forEach((status, i) => {
      const id = i === 0 ? EDGE_IDS.collectionReady : i === 1 ? EDGE_IDS.collectionNonUuid : `c0000000-0000-4000-8000-00000000000${i}`;
      insert(db, 'collections', {
        id, name: i === 3 ? 'Ünïcode collection 📚' : `collection ${i}`, description: i === 0 ? LONG_TEXT : i === 1 ? null : 'desc\twith\ttabs',
        owner_id: i === 4 ? 2 : 1, vector_store_name: `col_${i}`, embedding_model: 'Qwen/Qwen3-Embedding-0.6B', quantization: i === 2 ? 'int8' : 'float32',
        chunk_size: 600 + i, chunk_overlap: 200, is_public: i % 2, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-05 06:07:08.090000',
        meta: i === 0 ? NESTED_JSON : i === 1 ? null : i === 2 ? '[1, "two", 3.0]' : i === 3 ? '{"legacy": "theirs", "x": 1}' : '{}',
        status, status_message: i === 3 ? 'boom: 💥' : null, qdrant_collections: i === 0 ? '["col_0_a", "col_0_b"]' : null, qdrant_staging: i === 0 ? '{"stage": [1, 2]}' : null,
        document_count: 3, vector_count: 42 + i, total_size_bytes: 5_000_000_000 + i,
      });
    });
    insert(db, 'collection_sources', { id: 1, collection_id: EDGE_IDS.collectionReady, source_path: '/data/docs', source_type: 'directory', document_count: 2, size_bytes: 1234, last_indexed_at: '2024-01-03 00:00:00.1', created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: '{"recursive": true, "globs": ["*.md", "*.txt"]}' });
    insert(db, 'collection_sources', { id: 3, collection_id: EDGE_IDS.collectionNonUuid, source_path: '/data/ünï 😀', source_type: 'directory', document_count: 0, size_bytes: 0, last_indexed_at: null, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: null });
    ['READ', 'WRITE', 'ADMIN'].forEach((permission, i) => insert(db, 'collection_permissions', { id: i + 1, collection_id: EDGE_IDS.collectionReady, user_id: i === 2 ? null : i + 1 === 1 ? 2 : 7, api_key_id: i === 2 ? EDGE_IDS.apiKeyNonUuid : null, permission, created_at: '2024-01-01 00:00:00' }));
    insert(db, 'collection_resource_limits', { id: 1, collection_id: EDGE_IDS.collectionReady, max_documents: 1000, max_storage_gb: 2.5, max_operations_per_hour: null, max_sources: 3, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' });
    insert(db, 'collection_resource_limits', { id: 2, collection_id: EDGE_IDS.collectionNonUuid, max_documents: null, max_storage_gb: 0.1, max_operations_per_hour: 10, max_sources: null, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' });
    const types = ['INDEX', 'APPEND', 'REINDEX', 'REMOVE_SOURCE', 'DELETE'];
    const opStatuses = ['COMPLETED', 'FAILED', 'CANCELLED', 'PENDING', 'PROCESSING'];
    types.forEach((type, i) => insert(db, 'operations', {
      id: i + 1, uuid: i === 4 ? 'not-a-uuid-op' : EDGE_IDS.operationUuid(i + 1), collection_id: i < 3 ? EDGE_IDS.collectionReady : EDGE_IDS.collectionNonUuid,
      user_id: 1, type, status: opStatuses[i], task_id: i % 2 ? null : `celery-${i}`, config: i === 0 ? NESTED_JSON : '{"source_path": "/data/docs"}',
      error_message: i === 1 ? LONG_TEXT : null, created_at: '2024-01-01 00:00:00', started_at: i === 3 ? null : '2024-01-01 00:00:01.5', completed_at: i < 3 ? '2024-01-01 00:10:00' : null, meta: i === 2 ? '{"n": 1.50}' : null,
    }));
    const metrics: Array<[number, string, number]> = [[1, 'duration', 12.5], [1, 'files', 3], [2, 'huge', 1e20], [2, 'tiny', 1.5e-7], [3, 'negative zero', -0], [3, 'fraction', 0.1 + 0.2], [5, 'big int', 12345678901234567]];
    metrics.forEach(([operation_id, metric_name, metric_value], i) => insert(db, 'operation_metrics', { id: i + 1, operation_id, metric_name, metric_value, recorded_at: '2024-01-01 00:00:02.250000' }));
    const docStatuses = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'];
    for (let i = 1; i <= 8; i++) {
      insert(db, 'documents', {
        id: i === 8 ? 'doc-legacy-8' : EDGE_IDS.documentUuid(i), collection_id: i <= 4 ? EDGE_IDS.collectionReady : EDGE_IDS.collectionNonUuid, source_id: i <= 2 ? 1 : i === 5 ? 3 : null,
        file_path: `/data/docs/${i === 3 ? 'émoji 😀' : 'file'}-${i}.txt`, file_name: i === 4 ? 'tab\tand\\back.txt' : `file-${i}.txt`, file_size: i === 6 ? 5 * 1024 ** 3 : i * 100,
        mime_type: i === 7 ? null : 'text/plain', content_hash: `hash-${i}`, status: docStatuses[(i - 1) % 4], error_message: i === 4 ? LONG_TEXT : null, chunk_count: i,
        created_at: '2024-01-01 00:00:00', updated_at: i % 2 ? '2024-01-01 00:00:00.000100' : '2024-01-01 00:00:00', meta: i === 1 ? NESTED_JSON : i === 2 ? '"just a string"' : null,
      });
    }
    const actions = ['create', 'add_source', 'delete_document', 'reindex'];
    actions.forEach((action, i) => insert(db, 'collection_audit_log', { id: i + 10, collection_id: EDGE_IDS.collectionReady, operation_id: i === 0 ? 1 : i === 1 ? 5 : null, user_id: i === 3 ? null : 1, action, details: i === 0 ? NESTED_JSON : null, ip_address: i === 2 ? '::1' : '127.0.0.1', user_agent: i === 2 ? null : 'Mozilla/5.0 😀', created_at: '2024-01-01 00:00:00' }));
  });
  tx();
}

/** Rows whose parent is missing (foreign keys were never enforced in the legacy file). */
export function writeOrphanRows(db: LegacyDb): void {
  insert(db, 'documents', { id: 'e0c00000-0000-4000-8000-000000000001', collection_id: 'no-such-collection', source_id: null, file_path: '/x', file_name: 'x', file_size: 1, mime_type: null, content_hash: 'orphan-1', status: 'COMPLETED', error_message: null, chunk_count: 0, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: null });
  insert(db, 'operation_metrics', { id: 99, operation_id: 12345, metric_name: 'orphan', metric_value: 1, recorded_at: '2024-01-01 00:00:00' });
  insert(db, 'collections', { id: 'f0000000-0000-4000-8000-000000000009', name: 'owned by nobody', description: null, owner_id: 999, vector_store_name: 'col_orphan', embedding_model: 'm', quantization: 'float32', chunk_size: 100, chunk_overlap: 10, is_public: 0, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: null, status: 'READY', status_message: null, qdrant_collections: null, qdrant_staging: null, document_count: 0, vector_count: 0, total_size_bytes: 0 });
  // A child of the orphaned collection: skipped with it under --skip-orphans.
  insert(db, 'collection_sources', { id: 50, collection_id: 'f0000000-0000-4000-8000-000000000009', source_path: '/orphan', source_type: 'directory', document_count: 0, size_bytes: 0, last_indexed_at: null, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: null });
}

/**
 * A large file: `documents` rows spread over a few collections (≥ 200,000 for the acceptance test),
 * written in one transaction with a prepared statement (~1.5 s for 200k rows).
 */
export function writeLargeRows(db: LegacyDb, documents: number, { collections = 20, metricsPerOperation = 5 } = {}): void {
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const tx = db.transaction(() => {
    for (let u = 1; u <= 50; u++) insert(db, 'users', { id: u, username: `user${u}`, email: `user${u}@example.test`, full_name: `User ${u}`, hashed_password: '$2b$12$' + 'x'.repeat(53), is_active: 1, is_superuser: u === 1 ? 1 : 0, created_at: '2024-01-01 00:00:00.123456', updated_at: '2024-01-01 00:00:00', last_login: null });
    const collectionIds: string[] = [];
    for (let c = 1; c <= collections; c++) {
      const id = `aa000000-0000-4000-8000-${String(c).padStart(12, '0')}`;
      collectionIds.push(id);
      insert(db, 'collections', { id, name: `large ${c}`, description: null, owner_id: (c % 50) + 1, vector_store_name: `large_${c}`, embedding_model: 'Qwen/Qwen3-Embedding-0.6B', quantization: 'float32', chunk_size: 600, chunk_overlap: 200, is_public: 0, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: '{"k": 1}', status: 'READY', status_message: null, qdrant_collections: null, qdrant_staging: null, document_count: Math.ceil(documents / collections), vector_count: 0, total_size_bytes: 0 });
      insert(db, 'collection_sources', { id: c, collection_id: id, source_path: `/data/large/${c}`, source_type: 'directory', document_count: 0, size_bytes: 0, last_indexed_at: null, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00', meta: null });
      for (let o = 1; o <= 10; o++) {
        const opId = (c - 1) * 10 + o;
        insert(db, 'operations', { id: opId, uuid: `bb000000-0000-4000-8000-${String(opId).padStart(12, '0')}`, collection_id: id, user_id: 1, type: 'INDEX', status: 'COMPLETED', task_id: null, config: '{"source_path": "/data"}', error_message: null, created_at: '2024-01-01 00:00:00', started_at: null, completed_at: null, meta: null });
        for (let m = 0; m < metricsPerOperation; m++) insert(db, 'operation_metrics', { id: (opId - 1) * metricsPerOperation + m + 1, operation_id: opId, metric_name: `metric_${m}`, metric_value: opId * 1.25 + m, recorded_at: '2024-01-01 00:00:00.5' });
        insert(db, 'collection_audit_log', { id: opId, collection_id: id, operation_id: opId, user_id: 1, action: 'index', details: '{"files": 10}', ip_address: '127.0.0.1', user_agent: 'cli', created_at: '2024-01-01 00:00:00' });
      }
    }
    const stmt = db.prepare(
      `INSERT INTO documents (id, collection_id, source_id, file_path, file_name, file_size, mime_type, content_hash, status, error_message, chunk_count, created_at, updated_at, meta)
       VALUES (?, ?, ?, ?, ?, ?, 'text/plain', ?, 'COMPLETED', NULL, ?, ?, ?, ?)`,
    );
    for (let i = 1; i <= documents; i++) {
      const c = i % collections;
      const hex = i.toString(16).padStart(12, '0');
      const second = String(i % 60).padStart(2, '0');
      stmt.run(
        `dd000000-0000-4000-8000-${hex}`, collectionIds[c]!, c + 1, `/data/large/${c + 1}/folder ${i % 97}/document-${i}.md`, `document-${i}.md`,
        1000 + (i % 100_000), `sha256:${hex}${'0'.repeat(52)}`, i % 17, `2024-03-01 12:00:${second}.${String(i % 1_000_000).padStart(6, '0')}`,
        `2024-03-02 12:00:${second}`, i % 10 === 0 ? `{"pages": ${i % 50}, "lang": "en"}` : null,
      );
    }
  });
  tx();
}

export const REAL_INSTALL = {
  collection: '3f1c7a52-6d0e-4a8b-9f7e-2c4d5e6f7a80',
  collectionLowercase: '4a2d8b63-7e1f-4b9c-8a0f-3d5e6f708192',
  /** Deleted by a DELETE operation; its rows were left behind (foreign keys were off). */
  deletedCollection: '5b3e9c74-8f20-4cad-9b10-4e6f708192a3',
  removedSourceId: 2,
  doc: (i: number) => `9d000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  deletedDocs: [4, 5, 6],
  orphanDoc: 9,
  removeSourceOp: 3,
};

/**
 * A collections-era file as a real install leaves it (the original's models and revisions, not the
 * contract's tidy shape): alembic at the DELETED revision; a remove_source that marked its source's
 * documents DELETED and deleted the source row; Python-side defaults that stayed NULL; SQLAlchemy's
 * JSON `null` for None; json.dumps' NaN/Infinity and ensure_ascii escapes (a surrogate pair and a
 * surrogateescape'd file-name byte); enum values in both spellings (member names, and the lower-case
 * values later revisions wrote); and orphans of a deleted collection and of a purged operation.
 */
export function writeRealInstallRows(db: LegacyDb): void {
  const r = REAL_INSTALL;
  const ts = '2025-07-28 09:15:02.123456';
  const plain = '2025-07-28 09:15:02';
  db.exec(`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('20250727151108')`);
  const tx = db.transaction(() => {
    insert(db, 'users', { id: 1, username: 'admin', email: 'admin@home.lan', full_name: null, hashed_password: '$2b$12$' + 'a'.repeat(53), is_active: null, is_superuser: 1, created_at: plain, updated_at: null, last_login: ts });
    insert(db, 'users', { id: 2, username: 'jürgen', email: 'jürgen@home.lan', full_name: 'Jürgen Müller 😀', hashed_password: '$2b$12$' + 'b'.repeat(53), is_active: 1, is_superuser: 0, created_at: ts, updated_at: ts, last_login: null });
    insert(db, 'refresh_tokens', { id: 1, user_id: 1, token_hash: 'rt-1', expires_at: '2025-08-28 09:15:02.000000', created_at: ts, is_revoked: null });
    insert(db, 'api_keys', { id: 'a9000000-0000-4000-8000-000000000001', user_id: 1, name: 'home assistant', key_hash: 'kh-real-1', permissions: 'null', last_used_at: null, expires_at: null, created_at: ts, is_active: 1 });
    const collection = (id: string, name: string, status: string, meta: string | null, vectorStore: string) =>
      insert(db, 'collections', { id, name, description: null, owner_id: 1, vector_store_name: vectorStore, embedding_model: 'Qwen/Qwen3-Embedding-0.6B', quantization: 'float16', chunk_size: 1000, chunk_overlap: 200, is_public: 0, created_at: ts, updated_at: ts, meta, status, status_message: null, qdrant_collections: `["${vectorStore}"]`, qdrant_staging: 'null', document_count: 4, vector_count: 120, total_size_bytes: 40_960 });
    collection(r.collection, 'Notes 📝', 'READY', 'null', 'col_notes');
    collection(r.collectionLowercase, 'Papers', 'ready', '{"source": "zotero", "ratio": NaN}', 'col_papers');
    insert(db, 'collection_sources', { id: 1, collection_id: r.collection, source_path: '/home/jürgen/notes', source_type: 'directory', document_count: 3, size_bytes: 30_720, last_indexed_at: ts, created_at: ts, updated_at: ts, meta: '{"recursive": true}' });
    // Source 2 (/home/jürgen/old-notes) was removed: its row is gone, its documents are DELETED.
    insert(db, 'collection_sources', { id: 3, collection_id: r.collectionLowercase, source_path: '/srv/papers', source_type: 'directory', document_count: 1, size_bytes: 10_240, last_indexed_at: null, created_at: ts, updated_at: ts, meta: null });
    insert(db, 'collection_permissions', { id: 1, collection_id: r.collection, user_id: 2, api_key_id: null, permission: 'READ', created_at: ts });
    insert(db, 'collection_permissions', { id: 2, collection_id: r.collectionLowercase, user_id: null, api_key_id: 'a9000000-0000-4000-8000-000000000001', permission: 'write', created_at: ts });
    const op = (id: number, collectionId: string, type: string, status: string, config: string, meta: string | null) =>
      insert(db, 'operations', { id, uuid: `0b000000-0000-4000-8000-${String(id).padStart(12, '0')}`, collection_id: collectionId, user_id: 1, type, status, task_id: `celery-${id}`, config, error_message: status.toUpperCase() === 'FAILED' ? 'CUDA out of memory' : null, created_at: ts, started_at: ts, completed_at: ts, meta });
    op(1, r.collection, 'INDEX', 'COMPLETED', '{"source_path": "/home/jürgen/notes"}', null);
    op(2, r.collection, 'APPEND', 'COMPLETED', '{"source_path": "/home/jürgen/old-notes"}', '{"progress": 1.0}');
    op(3, r.collection, 'REMOVE_SOURCE', 'completed', '{"source_path": "/home/jürgen/old-notes", "source_id": 2}', '{"documents_marked_deleted": 3, "eta_seconds": Infinity, "rate": -Infinity}');
    op(4, r.collectionLowercase, 'index', 'failed', 'null', null);
    insert(db, 'operation_metrics', { id: 1, operation_id: 1, metric_name: 'documents_processed', metric_value: 3, recorded_at: ts });
    insert(db, 'operation_metrics', { id: 2, operation_id: 3, metric_name: 'documents_removed', metric_value: 3, recorded_at: ts });
    insert(db, 'operation_metrics', { id: 3, operation_id: 77, metric_name: 'orphaned metric of a purged operation', metric_value: 0.5, recorded_at: ts });
    const doc = (i: number, collectionId: string, sourceId: number | null, status: string, meta: string | null, name = `note-${i}.md`) =>
      insert(db, 'documents', { id: r.doc(i), collection_id: collectionId, source_id: sourceId, file_path: `/home/jürgen/${sourceId === 2 ? 'old-notes' : 'notes'}/${name}`, file_name: name, file_size: 10_240, mime_type: 'text/markdown', content_hash: `sha256-${i}`, status, error_message: status.toUpperCase() === 'FAILED' ? 'unsupported encoding' : null, chunk_count: status.toUpperCase() === 'COMPLETED' ? 40 : 0, created_at: ts, updated_at: ts, meta });
    doc(1, r.collection, 1, 'COMPLETED', '{"title": "M\\u00fcller \\ud83d\\ude00", "pages": 3}', 'müller.md');
    doc(2, r.collection, 1, 'COMPLETED', '{"original_name": "caf\\udce9.md"}');
    doc(3, r.collection, 1, 'FAILED', null);
    doc(4, r.collection, 2, 'DELETED', '{"pages": 1}');
    doc(5, r.collection, 2, 'DELETED', null);
    doc(6, r.collection, null, 'deleted', 'null');
    doc(7, r.collectionLowercase, 3, 'completed', '{"doi": "10.1000/xyz", "score": NaN}');
    doc(8, r.collectionLowercase, 3, 'pending', '{}');
    doc(r.orphanDoc, r.deletedCollection, null, 'COMPLETED', null);
    insert(db, 'collection_audit_log', { id: 1, collection_id: r.collection, operation_id: 3, user_id: 1, action: 'source_removed', details: '{"source_path": "/home/jürgen/old-notes", "documents_marked_deleted": 3}', ip_address: '192.168.1.20', user_agent: 'Mozilla/5.0', created_at: ts });
    insert(db, 'collection_audit_log', { id: 2, collection_id: r.collection, operation_id: null, user_id: 2, action: 'viewed', details: 'null', ip_address: null, user_agent: null, created_at: ts });
    insert(db, 'collection_audit_log', { id: 3, collection_id: r.deletedCollection, operation_id: null, user_id: 1, action: 'collection_deleted', details: '{}', ip_address: null, user_agent: null, created_at: ts });
  });
  tx();
}
