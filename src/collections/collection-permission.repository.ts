import type { Tx } from '../db/unit-of-work.js';
import type { CollectionPermissionRow, PermissionLevel } from '../db/schema.js';

export class CollectionPermissionRepository {
  constructor(private readonly tx: Tx) {}

  upsertForUser(collectionId: string, userId: number, permission: PermissionLevel): Promise<CollectionPermissionRow> {
    return this.tx
      .insertInto('collection_permissions')
      .values({ collection_id: collectionId, user_id: userId, permission })
      .onConflict((oc) => oc.columns(['collection_id', 'user_id']).doUpdateSet({ permission }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findForUser(collectionId: string, userId: number): Promise<CollectionPermissionRow | undefined> {
    return this.tx
      .selectFrom('collection_permissions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.tx.deleteFrom('collection_permissions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
