import type { PermissionLevel } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';
import { grantsOf } from './collection-access.rule.js';
import type { AccessPrincipal } from './principal.js';

/** The rows the access rule reads for one collection (lists and search use its SQL expressions instead). */
export class AccessRepository {
  constructor(private readonly tx: Tx) {}

  /** The levels of the permission rows granting this collection to the principal's user or key. */
  async listGrantLevels(collectionId: string, principal: AccessPrincipal): Promise<PermissionLevel[]> {
    const rows = await this.tx
      .selectFrom('collection_permissions')
      .select('permission')
      .where('collection_id', '=', collectionId)
      .where(grantsOf(principal))
      .execute();
    return rows.map((row) => row.permission);
  }
}
