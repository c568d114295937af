import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';
import type { DocumentRow, DocumentStatus, NewDocument } from '../db/schema.js';
import { offsetOf, type Page, type PageRequest } from '../db/pagination.js';
import { NotFoundError } from '../errors/domain-errors.js';

export interface DocumentListQuery extends PageRequest {
  collectionId: string;
  status?: DocumentStatus;
}

export interface DocumentFingerprint {
  id: string;
  file_path: string;
  content_hash: string;
  status: DocumentStatus;
  source_id: number | null;
  /** For the scanner's size+mtime shortcut (optional: planning by hash does not need them). */
  file_size?: number | string;
  file_modified_at?: Date | null;
}

export class DocumentRepository {
  constructor(private readonly tx: Tx) {}

  insert(row: NewDocument): Promise<DocumentRow> {
    return this.tx
      .insertInto('documents')
      .values({ ...row, metadata: JSON.stringify(row.metadata ?? {}) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Bulk upsert keyed by (collection_id, content_hash): identical content in a collection is one
   * document; the newest path wins. One multi-row statement per call.
   */
  upsertMany(rows: readonly NewDocument[]): Promise<DocumentRow[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.tx
      .insertInto('documents')
      .values(rows.map((row) => ({ ...row, metadata: JSON.stringify(row.metadata ?? {}) })))
      .onConflict((oc) =>
        oc.columns(['collection_id', 'content_hash']).doUpdateSet((eb) => ({
          file_path: eb.ref('excluded.file_path'),
          file_name: eb.ref('excluded.file_name'),
          file_size: eb.ref('excluded.file_size'),
          mime_type: eb.ref('excluded.mime_type'),
          source_id: eb.ref('excluded.source_id'),
          file_modified_at: eb.ref('excluded.file_modified_at'),
          updated_at: new Date(),
        })),
      )
      .returningAll()
      .execute();
  }

  findById(id: string): Promise<DocumentRow | undefined> {
    return this.tx.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getInCollection(collectionId: string, id: string): Promise<DocumentRow> {
    const row = await this.tx
      .selectFrom('documents')
      .selectAll()
      .where('id', '=', id)
      .where('collection_id', '=', collectionId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Document ${id} not found in collection ${collectionId}`);
    return row;
  }

  /** What the scanner needs to decide new/changed/unchanged/vanished, without loading metadata. */
  listFingerprints(collectionId: string, sourceId?: number): Promise<DocumentFingerprint[]> {
    let query = this.tx
      .selectFrom('documents')
      .select(['id', 'file_path', 'content_hash', 'status', 'source_id', 'file_size', 'file_modified_at'])
      .where('collection_id', '=', collectionId);
    if (sourceId !== undefined) query = query.where('source_id', '=', sourceId);
    return query.execute();
  }

  async list(query: DocumentListQuery): Promise<Page<DocumentRow>> {
    let base = this.tx.selectFrom('documents').where('collection_id', '=', query.collectionId);
    if (query.status) base = base.where('status', '=', query.status);
    const [items, total] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(query.perPage).offset(offsetOf(query)).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n), page: query.page, perPage: query.perPage };
  }

  async updateStatus(
    id: string,
    status: DocumentStatus,
    fields: { error_message?: string | null; chunk_count?: number; metadata?: Record<string, unknown> } = {},
  ): Promise<void> {
    const { metadata, ...rest } = fields;
    await this.tx
      .updateTable('documents')
      .set({ status, ...rest, ...(metadata ? { metadata: JSON.stringify(metadata) } : {}), updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async deleteMany(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.tx.deleteFrom('documents').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async countByStatus(collectionId: string): Promise<Record<DocumentStatus, number>> {
    const rows = await this.tx
      .selectFrom('documents')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('collection_id', '=', collectionId)
      .groupBy('status')
      .execute();
    const counts: Record<DocumentStatus, number> = { pending: 0, processing: 0, completed: 0, failed: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
