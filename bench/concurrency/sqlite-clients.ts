/**
 * The SQLite baseline of bench:concurrency: the legacy design (one SQLite file, WAL) with tables
 * equivalent to Semantik's PostgreSQL schema for the rows the workload writes — the same columns,
 * defaults, CHECKs, unique and secondary indexes, enforced foreign keys, JSON validated like jsonb,
 * and an FTS5 index on chunk text kept by a trigger, which is what `chunks.tsv` + its GIN index
 * are in PostgreSQL. A baseline without the full-text index would time a store doing less work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { CHUNKS_PER_DOCUMENT, COLLECTION_EVERY, mergeRuns, type ClientResult, type ClientSpec, type RunResult } from './workload.js';

const NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ'))";

export const SQLITE_EQUIVALENT_SCHEMA = `
  PRAGMA journal_mode = WAL;
  CREATE TABLE users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL, email TEXT NOT NULL, hashed_password TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1, is_superuser INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT ${NOW}, updated_at TEXT NOT NULL DEFAULT ${NOW});
  CREATE TABLE collections (
    id TEXT PRIMARY KEY, name TEXT NOT NULL CHECK (length(trim(name)) > 0), description TEXT,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    vector_store_name TEXT NOT NULL UNIQUE, embedding_model TEXT NOT NULL,
    embedding_dimension INTEGER CHECK (embedding_dimension > 0), quantization TEXT NOT NULL DEFAULT 'float32',
    chunk_size INTEGER NOT NULL DEFAULT 1000 CHECK (chunk_size > 0),
    chunk_overlap INTEGER NOT NULL DEFAULT 200 CHECK (chunk_overlap >= 0), is_public INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'processing', 'error', 'degraded')),
    status_message TEXT, metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    active_generation INTEGER NOT NULL DEFAULT 1, needs_reindex INTEGER NOT NULL DEFAULT 0,
    document_count INTEGER NOT NULL DEFAULT 0, vector_count INTEGER NOT NULL DEFAULT 0, total_size_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT ${NOW}, updated_at TEXT NOT NULL DEFAULT ${NOW},
    CHECK (chunk_overlap < chunk_size));
  CREATE UNIQUE INDEX collections_name_key ON collections (name);
  CREATE INDEX collections_owner_idx ON collections (owner_id, created_at DESC);
  CREATE INDEX collections_public_idx ON collections (created_at DESC) WHERE is_public;
  CREATE TABLE documents (
    id TEXT PRIMARY KEY, collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE, source_id INTEGER,
    file_path TEXT NOT NULL, file_name TEXT NOT NULL, file_size INTEGER NOT NULL DEFAULT 0 CHECK (file_size >= 0), mime_type TEXT,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    error_message TEXT, chunk_count INTEGER NOT NULL DEFAULT 0, metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    file_modified_at TEXT, created_at TEXT NOT NULL DEFAULT ${NOW}, updated_at TEXT NOT NULL DEFAULT ${NOW},
    UNIQUE (collection_id, content_hash));
  CREATE INDEX documents_collection_created_idx ON documents (collection_id, created_at DESC, id);
  CREATE INDEX documents_collection_path_idx ON documents (collection_id, file_path);
  CREATE INDEX documents_collection_status_idx ON documents (collection_id, status);
  CREATE INDEX documents_source_idx ON documents (source_id);
  CREATE TABLE chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL DEFAULT 1, chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0), text TEXT NOT NULL,
    start_offset INTEGER, end_offset INTEGER, page INTEGER,
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)), created_at TEXT NOT NULL DEFAULT ${NOW},
    UNIQUE (document_id, generation, chunk_index));
  CREATE INDEX chunks_collection_generation_idx ON chunks (collection_id, generation);
  -- chunks.tsv (to_tsvector('english', text)) + GIN in PostgreSQL; porter = an English stemmer here.
  CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content = 'chunks', content_rowid = 'rowid', tokenize = 'porter unicode61');
  CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
`;

export async function runSqliteClients(spec: ClientSpec): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-sqlite-bench-'));
  try {
    const file = path.join(dir, 'bench.db');
    const setup = new Sqlite(file);
    setup.exec(SQLITE_EQUIVALENT_SCHEMA);
    const ownerId = Number(setup.prepare("INSERT INTO users (username, email, hashed_password) VALUES ('bench', 'bench@example.test', 'x')").run().lastInsertRowid);
    setup.close();
    const started = performance.now();
    const parts = await Promise.all(
      Array.from({ length: spec.clients }, (_, clientIndex) =>
        new Promise<ClientResult>((resolve, reject) => {
          const worker = new Worker(new URL('./sqlite-client.worker.cjs', import.meta.url), {
            workerData: {
              file,
              seconds: spec.seconds,
              thinkMs: spec.thinkMs,
              texts: spec.texts,
              ownerId,
              clientIndex,
              chunksPerDocument: CHUNKS_PER_DOCUMENT,
              collectionEvery: COLLECTION_EVERY,
            },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
      ),
    );
    return mergeRuns(parts, (performance.now() - started) / 1000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
