import { type Kysely, sql } from 'kysely';

/**
 * Frozen: sync (issue 16).
 * - `sync` operation type.
 * - Per-source schedule: `sync_interval_minutes` (NULL = never by itself), `next_sync_at` (the claim
 *   column: a worker takes due rows with FOR UPDATE SKIP LOCKED; stored, so restarts do not drift),
 *   `watch` (opt-in file-system watching).
 * - `chunk_embeddings.embedding_key`: sha256 hex of (model, embedding input). A re-indexed chunk whose
 *   key exists in its collection copies that vector instead of being embedded again. Rows written
 *   before this migration have none and are simply embedded once more.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE operations DROP CONSTRAINT IF EXISTS operations_type_check`.execute(db);
  await sql`
    ALTER TABLE operations ADD CONSTRAINT operations_type_check
    CHECK (type IN ('index', 'append', 'reindex', 'remove_source', 'delete', 'sync'))`.execute(db);
  await sql`ALTER TABLE collection_sources ADD COLUMN sync_interval_minutes integer CHECK (sync_interval_minutes > 0)`.execute(db);
  await sql`ALTER TABLE collection_sources ADD COLUMN next_sync_at timestamptz`.execute(db);
  await sql`ALTER TABLE collection_sources ADD COLUMN watch boolean NOT NULL DEFAULT false`.execute(db);
  await sql`CREATE INDEX collection_sources_due_idx ON collection_sources (next_sync_at) WHERE next_sync_at IS NOT NULL`.execute(db);
  await sql`ALTER TABLE chunk_embeddings ADD COLUMN embedding_key text`.execute(db);
  await sql`
    CREATE INDEX chunk_embeddings_key_idx ON chunk_embeddings (collection_id, embedding_key)
    WHERE embedding_key IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS chunk_embeddings_key_idx`.execute(db);
  await sql`ALTER TABLE chunk_embeddings DROP COLUMN IF EXISTS embedding_key`.execute(db);
  await sql`DROP INDEX IF EXISTS collection_sources_due_idx`.execute(db);
  await sql`ALTER TABLE collection_sources DROP COLUMN IF EXISTS watch`.execute(db);
  await sql`ALTER TABLE collection_sources DROP COLUMN IF EXISTS next_sync_at`.execute(db);
  await sql`ALTER TABLE collection_sources DROP COLUMN IF EXISTS sync_interval_minutes`.execute(db);
  await sql`ALTER TABLE operations DROP CONSTRAINT IF EXISTS operations_type_check`.execute(db);
  await sql`
    ALTER TABLE operations ADD CONSTRAINT operations_type_check
    CHECK (type IN ('index', 'append', 'reindex', 'remove_source', 'delete'))`.execute(db);
}
