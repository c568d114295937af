import { type Kysely, sql } from 'kysely';

/**
 * Frozen: per-user document roots (issue 15). `NULL` means "not configured" (the server's
 * SEMANTIK_USER_ROOT_TEMPLATE applies, if set); an empty array means "no folders". Which roots a user
 * may really use is decided in src/users/user-document-roots.ts — every entry must also lie inside
 * SEMANTIK_DOCUMENT_ROOTS, checked on use because the global roots can shrink after an admin set these.
 *
 * Upgrading in place: a non-superuser who already owns collections is granted exactly the folders
 * those collections index (nothing wider), so their collections keep scanning and serving files
 * while new folders need an administrator. Everyone else starts with NULL (no folders).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE users
      ADD COLUMN document_roots text[],
      ADD CONSTRAINT users_document_roots_no_nulls CHECK (document_roots IS NULL OR array_position(document_roots, NULL) IS NULL)`.execute(db);
  await sql`
    UPDATE users u SET document_roots = owned.paths
    FROM (
      SELECT c.owner_id, array_agg(DISTINCT s.source_path ORDER BY s.source_path) AS paths
      FROM collections c JOIN collection_sources s ON s.collection_id = c.id
      GROUP BY c.owner_id
    ) owned
    WHERE owned.owner_id = u.id AND NOT u.is_superuser`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE users DROP CONSTRAINT IF EXISTS users_document_roots_no_nulls, DROP COLUMN IF EXISTS document_roots`.execute(db);
}
