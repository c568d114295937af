import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';
import type { CollectionSourceRow } from '../db/schema.js';

export class CollectionSourceRepository {
  constructor(private readonly tx: Tx) {}

  /** Inserts the source, or returns the existing one for the same (collection, path) with new config. */
  upsert(row: { collection_id: string; source_path: string; source_type?: string; config?: Record<string, unknown> }): Promise<CollectionSourceRow> {
    return this.tx
      .insertInto('collection_sources')
      .values({ ...row, config: JSON.stringify(row.config ?? {}) })
      .onConflict((oc) =>
        oc.columns(['collection_id', 'source_path']).doUpdateSet((eb) => ({ config: eb.ref('excluded.config'), updated_at: new Date() })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findByPath(collectionId: string, sourcePath: string): Promise<CollectionSourceRow | undefined> {
    return this.tx
      .selectFrom('collection_sources')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('source_path', '=', sourcePath)
      .executeTakeFirst();
  }

  findById(id: number): Promise<CollectionSourceRow | undefined> {
    return this.tx.selectFrom('collection_sources').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByCollection(collectionId: string): Promise<CollectionSourceRow[]> {
    return this.tx.selectFrom('collection_sources').selectAll().where('collection_id', '=', collectionId).orderBy('id').execute();
  }

  /** Recomputes document_count/size_bytes from documents and stamps last_indexed_at. */
  async refreshStats(id: number, indexedAt: Date): Promise<void> {
    await this.tx
      .updateTable('collection_sources as s')
      .set({
        document_count: sql`(SELECT count(*) FROM documents d WHERE d.source_id = s.id AND d.status = 'completed')`,
        size_bytes: sql`(SELECT coalesce(sum(d.file_size), 0) FROM documents d WHERE d.source_id = s.id AND d.status = 'completed')`,
        last_indexed_at: indexedAt,
        updated_at: new Date(),
      })
      .where('s.id', '=', id)
      .execute();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.tx.deleteFrom('collection_sources').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
