import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import bcrypt from 'bcryptjs';

/**
 * A small legacy (collections-era) Semantik SQLite file, as the Python app's SQLAlchemy models
 * created it: DATETIME as 'YYYY-MM-DD HH:MM:SS' text, booleans 0/1, enums as UPPERCASE names.
 * Just enough for the runbook: a user who can log in, a collection with a source and documents.
 */
const SCHEMA = `
CREATE TABLE users (id INTEGER NOT NULL, username VARCHAR NOT NULL, email VARCHAR NOT NULL, full_name VARCHAR,
  hashed_password VARCHAR NOT NULL, is_active BOOLEAN, is_superuser BOOLEAN NOT NULL, created_at DATETIME NOT NULL,
  updated_at DATETIME, last_login DATETIME, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE TABLE api_keys (id VARCHAR NOT NULL, user_id INTEGER NOT NULL, name VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
  permissions JSON, last_used_at DATETIME, expires_at DATETIME, created_at DATETIME NOT NULL, is_active BOOLEAN NOT NULL,
  PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE);
CREATE TABLE collections (id VARCHAR NOT NULL, name VARCHAR NOT NULL, description TEXT, owner_id INTEGER NOT NULL,
  vector_store_name VARCHAR NOT NULL, embedding_model VARCHAR NOT NULL, quantization VARCHAR NOT NULL,
  chunk_size INTEGER NOT NULL, chunk_overlap INTEGER NOT NULL, is_public BOOLEAN NOT NULL, created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL, meta JSON, status VARCHAR(10) NOT NULL, status_message TEXT, qdrant_collections JSON,
  qdrant_staging JSON, document_count INTEGER NOT NULL, vector_count INTEGER NOT NULL, total_size_bytes INTEGER NOT NULL,
  PRIMARY KEY (id), FOREIGN KEY(owner_id) REFERENCES users (id), UNIQUE (vector_store_name));
CREATE UNIQUE INDEX ix_collections_name ON collections (name);
CREATE TABLE refresh_tokens (id INTEGER NOT NULL, user_id INTEGER NOT NULL, token_hash VARCHAR NOT NULL,
  expires_at DATETIME NOT NULL, created_at DATETIME NOT NULL, is_revoked BOOLEAN, PRIMARY KEY (id),
  FOREIGN KEY(user_id) REFERENCES users (id));
CREATE TABLE collection_permissions (id INTEGER NOT NULL, collection_id VARCHAR NOT NULL, user_id INTEGER,
  api_key_id VARCHAR, permission VARCHAR(5) NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (id),
  CONSTRAINT check_user_or_api_key CHECK ((user_id IS NOT NULL AND api_key_id IS NULL) OR (user_id IS NULL AND api_key_id IS NOT NULL)),
  FOREIGN KEY(api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE,
  FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE,
  FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE);
CREATE TABLE collection_resource_limits (id INTEGER NOT NULL, collection_id VARCHAR NOT NULL, max_documents INTEGER,
  max_storage_gb FLOAT, max_operations_per_hour INTEGER, max_sources INTEGER, created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE,
  UNIQUE (collection_id));
CREATE TABLE collection_sources (id INTEGER NOT NULL, collection_id VARCHAR NOT NULL, source_path VARCHAR NOT NULL,
  source_type VARCHAR NOT NULL, document_count INTEGER NOT NULL, size_bytes INTEGER NOT NULL, last_indexed_at DATETIME,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, meta JSON, PRIMARY KEY (id),
  FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE,
  CONSTRAINT uq_collection_source_path UNIQUE (collection_id, source_path));
CREATE TABLE operations (id INTEGER NOT NULL, uuid VARCHAR NOT NULL, collection_id VARCHAR NOT NULL, user_id INTEGER NOT NULL,
  type VARCHAR(13) NOT NULL, status VARCHAR(10) NOT NULL, task_id VARCHAR, config JSON NOT NULL, error_message TEXT,
  created_at DATETIME NOT NULL, started_at DATETIME, completed_at DATETIME, meta JSON, PRIMARY KEY (id),
  FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE, FOREIGN KEY(user_id) REFERENCES users (id),
  UNIQUE (uuid));
CREATE TABLE collection_audit_log (id INTEGER NOT NULL, collection_id VARCHAR NOT NULL, operation_id INTEGER, user_id INTEGER,
  action VARCHAR NOT NULL, details JSON, ip_address VARCHAR, user_agent VARCHAR, created_at DATETIME NOT NULL,
  PRIMARY KEY (id), FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE,
  FOREIGN KEY(operation_id) REFERENCES operations (id), FOREIGN KEY(user_id) REFERENCES users (id));
CREATE TABLE documents (id VARCHAR NOT NULL, collection_id VARCHAR NOT NULL, source_id INTEGER, file_path VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, mime_type VARCHAR, content_hash VARCHAR NOT NULL,
  status VARCHAR(10) NOT NULL, error_message TEXT, chunk_count INTEGER NOT NULL, created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL, meta JSON, PRIMARY KEY (id), FOREIGN KEY(collection_id) REFERENCES collections (id) ON DELETE CASCADE,
  FOREIGN KEY(source_id) REFERENCES collection_sources (id));
CREATE UNIQUE INDEX ix_documents_collection_content_hash ON documents (collection_id, content_hash);
CREATE TABLE operation_metrics (id INTEGER NOT NULL, operation_id INTEGER NOT NULL, metric_name VARCHAR NOT NULL,
  metric_value FLOAT NOT NULL, recorded_at DATETIME NOT NULL, PRIMARY KEY (id),
  FOREIGN KEY(operation_id) REFERENCES operations (id) ON DELETE CASCADE);
`;

export interface LegacyFixture {
  username: string;
  password: string;
  collectionName: string;
  documentCount: number;
}

export function createLegacySqliteFile(file: string): LegacyFixture {
  const fixture: LegacyFixture = { username: 'legacy-alice', password: 'correct horse battery staple', collectionName: 'Legacy notes', documentCount: 3 };
  const db = new BetterSqlite3(file);
  try {
    db.exec(SCHEMA);
    const at = '2024-03-01 09:30:00.000000';
    // bcrypt cost 4: the Python app used 12, but the hash format is what matters and 4 keeps the test fast.
    const hash = bcrypt.hashSync(fixture.password, 4).replace(/^\$2a\$/, '$2b$');
    db.prepare(
      `INSERT INTO users (id, username, email, full_name, hashed_password, is_active, is_superuser, created_at, updated_at)
       VALUES (1, ?, 'alice@legacy.test', 'Alice Legacy', ?, 1, 1, ?, ?)`,
    ).run(fixture.username, hash, at, at);
    const collectionId = randomUUID();
    db.prepare(
      `INSERT INTO collections (id, name, description, owner_id, vector_store_name, embedding_model, quantization, chunk_size,
         chunk_overlap, is_public, created_at, updated_at, meta, status, document_count, vector_count, total_size_bytes)
       VALUES (?, ?, 'notes from the old app', 1, ?, 'Qwen/Qwen3-Embedding-0.6B', 'float32', 600, 200, 0, ?, ?, '{}', 'READY', ?, 12, 3000)`,
    ).run(collectionId, fixture.collectionName, `col_${collectionId.replace(/-/g, '_')}`, at, at, fixture.documentCount);
    db.prepare(
      `INSERT INTO collection_sources (id, collection_id, source_path, source_type, document_count, size_bytes, last_indexed_at, created_at, updated_at, meta)
       VALUES (1, ?, '/srv/notes', 'directory', ?, 3000, ?, ?, ?, '{}')`,
    ).run(collectionId, fixture.documentCount, at, at, at);
    const insertDoc = db.prepare(
      `INSERT INTO documents (id, collection_id, source_id, file_path, file_name, file_size, mime_type, content_hash, status, chunk_count, created_at, updated_at, meta)
       VALUES (?, ?, 1, ?, ?, 1000, 'text/plain', ?, 'COMPLETED', 4, ?, ?, '{}')`,
    );
    for (let i = 0; i < fixture.documentCount; i++) {
      insertDoc.run(randomUUID(), collectionId, `/srv/notes/note-${i}.txt`, `note-${i}.txt`, `${String(i).repeat(64)}`.slice(0, 64), at, at);
    }
    db.prepare(
      `INSERT INTO operations (id, uuid, collection_id, user_id, type, status, config, created_at, started_at, completed_at, meta)
       VALUES (1, ?, ?, 1, 'INDEX', 'COMPLETED', '{"source_path": "/srv/notes"}', ?, ?, ?, '{}')`,
    ).run(randomUUID(), collectionId, at, at, at);
  } finally {
    db.close();
  }
  return fixture;
}
