import { isListedFor } from '../access/collection-access.rule.js';
import type { AccessPrincipal } from '../access/principal.js';
import type { Tx } from '../db/unit-of-work.js';
import type { NewOperation, OperationRow, OperationStatus, OperationType } from '../db/schema.js';
import { offsetOf, type Page, type PageRequest } from '../db/pagination.js';
import { NotFoundError } from '../errors/domain-errors.js';

export const ACTIVE_OPERATION_STATUSES: readonly OperationStatus[] = ['pending', 'processing'];

export interface OperationListQuery extends PageRequest {
  collectionId?: string;
  /** Only operations on collections listed for this principal (access/collection-access.rule.ts); undefined: all. */
  listedFor?: AccessPrincipal;
  statuses?: readonly OperationStatus[];
  types?: readonly OperationType[];
}

export interface OperationProgress {
  total_files?: number;
  processed_files?: number;
  failed_files?: number;
  current_file?: string | null;
}

export class OperationRepository {
  constructor(private readonly tx: Tx) {}

  /**
   * Inserting the row IS enqueueing the job (the queue is this table), so the operation and its job
   * commit or roll back together. The partial unique index allows one active operation per collection.
   */
  insert(row: NewOperation): Promise<OperationRow> {
    return this.tx
      .insertInto('operations')
      .values({ ...row, config: JSON.stringify(row.config ?? {}) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<OperationRow | undefined> {
    return this.tx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getById(id: string): Promise<OperationRow> {
    const row = await this.findById(id);
    if (!row) throw new NotFoundError(`Operation ${id} not found`);
    return row;
  }

  async lockById(id: string): Promise<OperationRow> {
    const row = await this.tx.selectFrom('operations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new NotFoundError(`Operation ${id} not found`);
    return row;
  }

  findActiveForCollection(collectionId: string): Promise<OperationRow | undefined> {
    return this.tx
      .selectFrom('operations')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('status', 'in', ACTIVE_OPERATION_STATUSES)
      .executeTakeFirst();
  }

  async list(query: OperationListQuery): Promise<Page<OperationRow>> {
    let base = this.tx.selectFrom('operations as o');
    if (query.collectionId) base = base.where('o.collection_id', '=', query.collectionId);
    if (query.statuses?.length) base = base.where('o.status', 'in', query.statuses);
    if (query.types?.length) base = base.where('o.type', 'in', query.types);
    if (query.listedFor) {
      const listed = isListedFor(query.listedFor);
      base = base.where((eb) =>
        eb.exists(eb.selectFrom('collections').select('collections.id').whereRef('collections.id', '=', 'o.collection_id').where(listed)),
      );
    }
    const [items, total] = await Promise.all([
      base.selectAll('o').orderBy('o.created_at', 'desc').orderBy('o.id').limit(query.perPage).offset(offsetOf(query)).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n), page: query.page, perPage: query.perPage };
  }

  async updateProgress(id: string, progress: OperationProgress): Promise<void> {
    await this.tx.updateTable('operations').set(progress).where('id', '=', id).execute();
  }

  async markStatus(
    id: string,
    status: OperationStatus,
    fields: { error_message?: string | null; started_at?: Date; completed_at?: Date | null } = {},
  ): Promise<OperationRow> {
    const row = await this.tx
      .updateTable('operations')
      .set({ status, ...fields })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Operation ${id} not found`);
    return row;
  }

  async requestCancel(id: string): Promise<void> {
    await this.tx.updateTable('operations').set({ cancel_requested: true }).where('id', '=', id).execute();
  }

  /** How many operations are in each status (statuses with none are absent): the /metrics gauge. */
  async countByStatus(): Promise<{ status: OperationStatus; count: number }[]> {
    const rows = await this.tx.selectFrom('operations').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute();
    return rows.map((r) => ({ status: r.status, count: Number(r.n) }));
  }
}
