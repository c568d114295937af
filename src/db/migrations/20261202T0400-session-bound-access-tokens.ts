import { type Kysely, sql } from 'kysely';

/**
 * Frozen: a login session id on refresh tokens, so access tokens can be bound to their session
 * (claim `sid`) and die with it at logout or revocation. Rotation copies the id into the new row,
 * so one session is a chain of rows that share it; the session is alive while one of its rows is
 * neither revoked nor expired. Existing rows each become their own session (volatile default:
 * PostgreSQL computes it per row), so refresh tokens issued before the upgrade keep working.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE refresh_tokens ADD COLUMN session_id uuid NOT NULL DEFAULT gen_random_uuid()`.execute(db);
  // Every authenticated request asks "is this session alive?": only unrevoked rows can answer yes,
  // and they are a small fraction of the table once sessions have rotated a few times.
  await sql`CREATE INDEX refresh_tokens_live_session_idx ON refresh_tokens (session_id) WHERE NOT is_revoked`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS refresh_tokens_live_session_idx`.execute(db);
  await sql`ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS session_id`.execute(db);
}
