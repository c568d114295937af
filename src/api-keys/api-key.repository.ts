import type { Tx } from '../db/unit-of-work.js';
import type { ApiKeyRow } from '../db/schema.js';

export class ApiKeyRepository {
  constructor(private readonly tx: Tx) {}

  insert(row: {
    user_id: number;
    name: string;
    key_hash: string;
    key_prefix: string;
    expires_at: Date | null;
    permissions?: Record<string, unknown> | null;
  }): Promise<ApiKeyRow> {
    return this.tx
      .insertInto('api_keys')
      .values({ ...row, permissions: row.permissions ? JSON.stringify(row.permissions) : null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    return this.tx.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
  }

  findById(id: string): Promise<ApiKeyRow | undefined> {
    return this.tx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByUser(userId: number): Promise<ApiKeyRow[]> {
    return this.tx.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
  }

  /** Returns whether a key of this user was deactivated. */
  async deactivate(id: string, userId: number): Promise<boolean> {
    const result = await this.tx
      .updateTable('api_keys')
      .set({ is_active: false })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deactivates every active key of a user (account disabled); returns how many. */
  async deactivateAllForUser(userId: number): Promise<number> {
    const result = await this.tx.updateTable('api_keys').set({ is_active: false }).where('user_id', '=', userId).where('is_active', '=', true).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.tx.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
