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

  /**
   * Serialises "may this folder be added?" decisions until the transaction ends: two users adding
   * the same private folder at once must not both pass the overlap check before either has written.
   * Source adds are rare (a few per user per day), so one install-wide lock costs nothing.
   */
  async lockFolderClaims(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('semantik.source_folder_claims'))`.execute(this.tx);
  }

  /**
   * Sources of other collections at this real path, inside it or around it (same folder, a child or a
   * parent), with the owning collection's owner and visibility — for the "folder of someone else's
   * private collection" rule (collection.access.ts). `starts_with` rather than LIKE: paths may hold % and _.
   */
  listOverlappingElsewhere(realPath: string, exceptCollectionId: string): Promise<(CollectionSourceRow & { owner_id: number; is_public: boolean })[]> {
    const asPrefix = realPath.endsWith('/') ? realPath : `${realPath}/`;
    return this.tx
      .selectFrom('collection_sources as s')
      .innerJoin('collections as c', 'c.id', 's.collection_id')
      .selectAll('s')
      .select(['c.owner_id', 'c.is_public'])
      .where('s.collection_id', '<>', exceptCollectionId)
      .where((eb) =>
        eb.or([
          eb('s.source_path', '=', realPath),
          eb(sql<boolean>`starts_with(s.source_path, ${asPrefix})`, '=', true),
          eb(sql<boolean>`starts_with(${realPath}, CASE WHEN right(s.source_path, 1) = '/' THEN s.source_path ELSE s.source_path || '/' END)`, '=', true),
        ]),
      )
      .execute();
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

  /**
   * Schedule, watch flag and scan config of a source. Setting an interval (re)starts the schedule
   * one interval from now; clearing it (null) stops it.
   */
  update(
    id: number,
    changes: { sync_interval_minutes?: number | null; watch?: boolean; config?: Record<string, unknown> },
  ): Promise<CollectionSourceRow> {
    const interval = changes.sync_interval_minutes;
    return this.tx
      .updateTable('collection_sources')
      .set({
        ...(interval !== undefined
          ? { sync_interval_minutes: interval, next_sync_at: interval === null ? null : sql<Date>`now() + make_interval(mins => ${interval})` }
          : {}),
        ...(changes.watch !== undefined ? { watch: changes.watch } : {}),
        ...(changes.config !== undefined ? { config: JSON.stringify(changes.config) } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.tx.deleteFrom('collection_sources').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Watched sources (the watcher's refresh). */
  listWatched(): Promise<Pick<CollectionSourceRow, 'id' | 'source_path'>[]> {
    return this.tx.selectFrom('collection_sources').select(['id', 'source_path']).where('watch', '=', true).execute();
  }

  /** Due now; an earlier due time is kept. */
  async markDue(id: number): Promise<void> {
    await sql`UPDATE collection_sources SET next_sync_at = now() WHERE id = ${id} AND (next_sync_at IS NULL OR next_sync_at > now())`.execute(this.tx);
  }

  /** The source due first (with its collection's owner), row-locked; one that another transaction holds is skipped. */
  async lockNextDue(): Promise<(CollectionSourceRow & { owner_id: number }) | undefined> {
    const { rows } = await sql<CollectionSourceRow & { owner_id: number }>`
      SELECT s.*, c.owner_id FROM collection_sources s JOIN collections c ON c.id = s.collection_id
      WHERE s.next_sync_at <= now()
      ORDER BY s.next_sync_at
      LIMIT 1
      FOR UPDATE OF s SKIP LOCKED`.execute(this.tx);
    return rows[0];
  }

  /** Due again `minutes` from now. */
  async postponeSync(id: number, minutes: number): Promise<void> {
    await sql`UPDATE collection_sources SET next_sync_at = now() + make_interval(mins => ${minutes}) WHERE id = ${id}`.execute(this.tx);
  }

  /**
   * The next due time after a sync was enqueued: one interval after the previous due time (no drift),
   * but never in the past; NULL (not due) without an interval (a watched source).
   */
  async advanceSyncSchedule(id: number): Promise<void> {
    await sql`
      UPDATE collection_sources
      SET next_sync_at = CASE WHEN sync_interval_minutes IS NULL THEN NULL
                              WHEN next_sync_at + make_interval(mins => sync_interval_minutes) > now()
                              THEN next_sync_at + make_interval(mins => sync_interval_minutes)
                              ELSE now() + make_interval(mins => sync_interval_minutes) END
      WHERE id = ${id}`.execute(this.tx);
  }
}
