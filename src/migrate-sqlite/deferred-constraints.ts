import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * Bulk-load mode for a large, empty target table: its secondary indexes and foreign keys are dropped
 * for the copy and rebuilt once at the end — one sort per index and one anti-join per foreign key
 * instead of a b-tree insert and an RI trigger lookup per row. On the bench machine the documents
 * table (6 indexes, 2 foreign keys) copied at ~25k rows/s with them in place; pgloader, which builds
 * indexes and foreign keys after loading, was the faster tool because of exactly this.
 *
 * The primary key and unique constraints stay (duplicates must fail the COPY, not the rebuild). What
 * was dropped is recorded in the run's progress row in the same transaction, so a killed run's
 * `--resume`, `--truncate-target` and a refusal all put it back (restoreDeferred).
 */
export interface DeferredObjects {
  indexes: Array<{ name: string; definition: string }>;
  foreignKeys: Array<{ name: string; definition: string }>;
}

/** Tables with fewer source rows keep their indexes: the rebuild's fixed cost would not pay off. */
export const BULK_LOAD_MIN_ROWS = 20_000;

export async function dropForBulkLoad(db: Kysely<DB>, table: string): Promise<DeferredObjects> {
  const { rows: indexes } = await sql<{ name: string; definition: string }>`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = ${table}::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY 1`.execute(db);
  const { rows: foreignKeys } = await sql<{ name: string; definition: string }>`
    SELECT conname AS name, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE conrelid = ${table}::regclass AND contype = 'f' ORDER BY 1`.execute(db);
  for (const fk of foreignKeys) await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.id(fk.name)}`.execute(db);
  for (const index of indexes) await sql`DROP INDEX ${sql.id(index.name)}`.execute(db);
  return { indexes, foreignKeys };
}

/** Rebuilds what dropForBulkLoad removed (the definitions come from this database's own catalog). */
export async function restoreDeferred(db: Kysely<DB>, table: string, deferred: DeferredObjects): Promise<void> {
  for (const index of deferred.indexes) {
    if (!/^CREATE (UNIQUE )?INDEX /.test(index.definition)) throw new Error(`unexpected index definition for ${index.name}`);
    await sql.raw(index.definition).execute(db);
  }
  for (const fk of deferred.foreignKeys) {
    if (!fk.definition.startsWith('FOREIGN KEY (')) throw new Error(`unexpected foreign key definition for ${fk.name}`);
    await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.id(fk.name)} ${sql.raw(fk.definition)}`.execute(db);
  }
}

/** Puts back everything a run had dropped and not yet restored (before a truncate or a discard). */
export async function restoreAllDeferred(db: Kysely<DB>, progress: Record<string, { deferred?: DeferredObjects }>): Promise<void> {
  for (const [table, p] of Object.entries(progress)) if (p.deferred) await restoreDeferred(db, table, p.deferred);
}
