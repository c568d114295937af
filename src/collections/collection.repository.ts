import { sql } from 'kysely';
import { isListedFor } from '../access/collection-access.rule.js';
import type { AccessPrincipal } from '../access/principal.js';
import type { Tx } from '../db/unit-of-work.js';
import type { CollectionRow, CollectionUpdate, NewCollection } from '../db/schema.js';
import { allowListed, offsetOf, type Page, type PageRequest, type SortOrder } from '../db/pagination.js';
import { NotFoundError } from '../errors/domain-errors.js';

export const COLLECTION_SORT_FIELDS = ['name', 'created_at', 'updated_at', 'document_count'] as const;
export type CollectionSortField = (typeof COLLECTION_SORT_FIELDS)[number];

export interface CollectionListQuery extends PageRequest {
  /** Only the collections listed for this principal (access/collection-access.rule.ts); undefined lists everything. */
  listedFor?: AccessPrincipal;
  search?: string;
  sortBy?: string;
  sortOrder?: SortOrder;
}

/** Escapes LIKE wildcards so a user's "50%" searches for the text "50%". */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export class CollectionRepository {
  constructor(private readonly tx: Tx) {}

  insert(row: NewCollection): Promise<CollectionRow> {
    return this.tx.insertInto('collections').values(row).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<CollectionRow | undefined> {
    return this.tx.selectFrom('collections').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getById(id: string): Promise<CollectionRow> {
    const row = await this.findById(id);
    if (!row) throw new NotFoundError(`Collection ${id} not found`);
    return row;
  }

  /** SELECT … FOR UPDATE: serialises writers of one collection (operations, counters, renames). */
  async lockById(id: string): Promise<CollectionRow> {
    const row = await this.tx.selectFrom('collections').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new NotFoundError(`Collection ${id} not found`);
    return row;
  }

  /** Names are unique per owner (migration 20261202T0100), so the owner is part of the key. */
  findByOwnerAndName(ownerId: number, name: string): Promise<CollectionRow | undefined> {
    return this.tx.selectFrom('collections').selectAll().where('owner_id', '=', ownerId).where('name', '=', name).executeTakeFirst();
  }

  async list(query: CollectionListQuery): Promise<Page<CollectionRow>> {
    const sortBy = allowListed<CollectionSortField>(query.sortBy, COLLECTION_SORT_FIELDS, 'created_at');
    const sortOrder: SortOrder = query.sortOrder === 'asc' ? 'asc' : 'desc';
    let base = this.tx.selectFrom('collections');
    if (query.listedFor) base = base.where(isListedFor(query.listedFor));
    if (query.search) {
      base = base.where(sql<boolean>`name ILIKE ${'%' + escapeLike(query.search) + '%'}`);
    }
    const [items, totalRow] = await Promise.all([
      base.selectAll().orderBy(sortBy, sortOrder).orderBy('id').limit(query.perPage).offset(offsetOf(query)).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(totalRow.n), page: query.page, perPage: query.perPage };
  }

  async update(id: string, changes: CollectionUpdate): Promise<CollectionRow> {
    const row = await this.tx
      .updateTable('collections')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Collection ${id} not found`);
    return row;
  }

  /** Recomputes the denormalised counters from the rows that search reads (active generation). */
  async refreshCounters(id: string): Promise<CollectionRow> {
    const row = await this.tx
      .updateTable('collections as c')
      .set({
        document_count: sql`(SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND d.status = 'completed')`,
        total_size_bytes: sql`(SELECT coalesce(sum(d.file_size), 0) FROM documents d WHERE d.collection_id = c.id AND d.status = 'completed')`,
        vector_count: sql`(SELECT count(*) FROM chunks k JOIN chunk_embeddings e ON e.chunk_id = k.id
                           WHERE k.collection_id = c.id AND k.generation = c.active_generation)`,
        updated_at: new Date(),
      })
      .where('c.id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Collection ${id} not found`);
    return row;
  }

  /** Names of the collections a user owns (a user who owns any cannot be deleted). */
  async listNamesByOwner(ownerId: number): Promise<string[]> {
    const rows = await this.tx.selectFrom('collections').select('name').where('owner_id', '=', ownerId).orderBy('name').execute();
    return rows.map((row) => row.name);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.tx.deleteFrom('collections').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
