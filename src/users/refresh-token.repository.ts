import type { Tx } from '../db/unit-of-work.js';
import type { RefreshTokenRow } from '../db/schema.js';

export class RefreshTokenRepository {
  constructor(private readonly tx: Tx) {}

  /** Without `session_id` the row starts a new session (a login); rotation passes the old row's. */
  insert(row: { user_id: number; token_hash: string; expires_at: Date; session_id?: string }): Promise<RefreshTokenRow> {
    return this.tx.insertInto('refresh_tokens').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** Locks the row so two concurrent refreshes with the same token cannot both rotate it. */
  lockByHash(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    return this.tx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
  }

  async revoke(id: number): Promise<void> {
    await this.tx.updateTable('refresh_tokens').set({ is_revoked: true, revoked_at: new Date() }).where('id', '=', id).execute();
  }

  /** Ends one login session of a user: its live row (rotation leaves one) and any stragglers. */
  async revokeSession(userId: number, sessionId: string): Promise<number> {
    const result = await this.tx
      .updateTable('refresh_tokens')
      .set({ is_revoked: true, revoked_at: new Date() })
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('is_revoked', '=', false)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async revokeAllForUser(userId: number): Promise<number> {
    const result = await this.tx
      .updateTable('refresh_tokens')
      .set({ is_revoked: true, revoked_at: new Date() })
      .where('user_id', '=', userId)
      .where('is_revoked', '=', false)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
