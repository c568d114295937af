import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.js';
import { restoreAllDeferred } from './deferred-constraints.js';
import { ImportRunRepository } from './import-run.repository.js';

/** Tables an import writes (or that would make a target "not empty"), children before parents. */
export const IMPORT_TARGET_TABLES = [
  'chunk_embeddings',
  'chunks',
  'collection_audit_log',
  'documents',
  'operation_metrics',
  'operations',
  'collection_resource_limits',
  'collection_permissions',
  'collection_sources',
  'collections',
  'api_keys',
  'refresh_tokens',
  'users',
] as const;

/** The tables that already hold rows (an empty list means the target is empty). */
export async function nonEmptyTables(db: Kysely<DB>): Promise<string[]> {
  const found: string[] = [];
  for (const table of IMPORT_TARGET_TABLES) {
    const { rows } = await sql<{ present: boolean }>`SELECT EXISTS (SELECT 1 FROM ${sql.table(table)}) AS present`.execute(db);
    if (rows[0]?.present) found.push(table);
  }
  return found;
}

/** --truncate-target: empties every application table and the import history, and restarts ids. */
export async function truncateTarget(db: Kysely<DB>): Promise<void> {
  const tables = [...IMPORT_TARGET_TABLES, 'sqlite_import_runs'];
  await db.transaction().execute(async (tx) => {
    // An interrupted bulk load may have dropped indexes: put them back before its record goes.
    for (const run of await new ImportRunRepository(tx).findUnfinished()) await restoreAllDeferred(tx, run.progress);
    await sql`TRUNCATE ${sql.join(tables.map((t) => sql.table(t)))} RESTART IDENTITY CASCADE`.execute(tx);
  });
}

/**
 * Undoes an import that turned out to be a refusal: the target was empty when it started (or held
 * only this file's interrupted run), so emptying the imported tables and dropping the run's row
 * leaves it exactly as before. One transaction.
 */
export async function discardImport(db: Kysely<DB>, runId: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`TRUNCATE ${sql.join(IMPORT_TARGET_TABLES.map((t) => sql.table(t)))} CASCADE`.execute(tx);
    const run = (await new ImportRunRepository(tx).findUnfinished()).find((r) => r.id === runId);
    if (run) await restoreAllDeferred(tx, run.progress); // on the emptied tables: instant
    await sql`DELETE FROM sqlite_import_runs WHERE id = ${runId}`.execute(tx);
  });
}

/**
 * Re-checks every single-column foreign key among the imported tables with an anti-join, and that
 * no constraint is left NOT VALID. PostgreSQL enforced them during COPY already; this is the
 * independent check the verification report states, cheap (hash anti-joins, < 1 s for 200k rows).
 */
export async function checkTargetConstraints(db: Kysely<DB>): Promise<string[]> {
  const failures: string[] = [];
  const { rows: fks } = await sql<{ child: string; column: string; parent: string; parent_column: string; name: string }>`
    SELECT c.conrelid::regclass::text AS child, a.attname AS column, c.confrelid::regclass::text AS parent,
           pa.attname AS parent_column, c.conname AS name
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 AND c.connamespace = 'public'::regnamespace
    ORDER BY 1, 2`.execute(db);
  // One anti-join per foreign key, run side by side on the pool's connections (they are independent).
  const counts = await Promise.all(
    fks
      .filter((fk) => (IMPORT_TARGET_TABLES as readonly string[]).includes(fk.child))
      .map(async (fk) => {
        const { rows } = await sql<{ n: string | number }>`
          SELECT count(*) AS n FROM ${sql.table(fk.child)} c
          WHERE c.${sql.ref(fk.column)} IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM ${sql.table(fk.parent)} p WHERE p.${sql.ref(fk.parent_column)} = c.${sql.ref(fk.column)})`.execute(db);
        return { fk, n: Number(rows[0]!.n) };
      }),
  );
  for (const { fk, n } of counts) if (n > 0) failures.push(`${fk.child}.${fk.column}: ${n} row(s) reference a missing ${fk.parent} (${fk.name})`);
  const { rows: invalid } = await sql<{ name: string }>`
    SELECT conname AS name FROM pg_constraint WHERE NOT convalidated AND connamespace = 'public'::regnamespace`.execute(db);
  for (const c of invalid) failures.push(`constraint ${c.name} is not validated`);
  return failures;
}
