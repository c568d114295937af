import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';

/** Install-wide facts about the database itself (the original UI's Settings page). */
export class SystemRepository {
  constructor(private readonly tx: Tx) {}

  /** Bytes on disk of the current database (`pg_database_size`; PGlite answers it too). */
  async databaseSizeBytes(): Promise<number> {
    const { rows } = await sql<{ bytes: string }>`SELECT pg_database_size(current_database())::text AS bytes`.execute(this.tx);
    return Number(rows[0]?.bytes ?? 0);
  }
}
