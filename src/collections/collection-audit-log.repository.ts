import type { Tx } from '../db/unit-of-work.js';
import type { AuditLogRow } from '../db/schema.js';
import { offsetOf, type Page, type PageRequest } from '../db/pagination.js';

export interface NewAuditEntry {
  collection_id: string;
  action: string;
  user_id?: number | null;
  operation_id?: string | null;
  details?: Record<string, unknown> | null;
  ip_address?: string | null;
  user_agent?: string | null;
}

export class CollectionAuditLogRepository {
  constructor(private readonly tx: Tx) {}

  insert(entry: NewAuditEntry): Promise<AuditLogRow> {
    return this.tx
      .insertInto('collection_audit_log')
      .values({ ...entry, details: entry.details ? JSON.stringify(entry.details) : null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async listByCollection(collectionId: string, page: PageRequest): Promise<Page<AuditLogRow>> {
    const base = this.tx.selectFrom('collection_audit_log').where('collection_id', '=', collectionId);
    const [items, total] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.perPage).offset(offsetOf(page)).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n), page: page.page, perPage: page.perPage };
  }
}
