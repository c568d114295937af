import type { Tx } from '../db/unit-of-work.js';
import type { CollectionResourceLimitRow } from '../db/schema.js';

export interface ResourceLimits {
  max_documents?: number | null;
  max_storage_gb?: number | null;
  max_operations_per_hour?: number | null;
  max_sources?: number | null;
}

export class CollectionResourceLimitRepository {
  constructor(private readonly tx: Tx) {}

  upsert(collectionId: string, limits: ResourceLimits): Promise<CollectionResourceLimitRow> {
    return this.tx
      .insertInto('collection_resource_limits')
      .values({ collection_id: collectionId, ...limits })
      .onConflict((oc) => oc.column('collection_id').doUpdateSet({ ...limits, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findByCollection(collectionId: string): Promise<CollectionResourceLimitRow | undefined> {
    return this.tx.selectFrom('collection_resource_limits').selectAll().where('collection_id', '=', collectionId).executeTakeFirst();
  }
}
