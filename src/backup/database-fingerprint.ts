import { sql, type Transaction } from 'kysely';

/**
 * What a backup promises to bring back: every table's row count and an order-independent
 * checksum of its rows, plus the last applied schema migration. Taken inside the caller's
 * transaction so it describes exactly one snapshot (the one pg_dump reads, for a server).
 */
export interface DatabaseFingerprint {
  /** Latest applied Semantik migration, or null when the schema was never migrated. */
  migration: string | null;
  tables: Record<string, TableFingerprint>;
}

export interface TableFingerprint {
  rows: number;
  /** Two sums of 60-bit slices of md5(row text): independent of physical row order. */
  checksum: string;
}

const MIGRATION_TABLE = 'semantik_migrations';

export async function fingerprintDatabase(trx: Transaction<any>): Promise<DatabaseFingerprint> {
  // Row text depends on these settings (timestamptz is printed in the session time zone), so pin
  // them: a restore checked from another machine or time zone must produce the same checksums.
  await sql`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
                   set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true)`.execute(trx);

  const { rows: tableRows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(trx);

  const tables: Record<string, TableFingerprint> = {};
  for (const { name } of tableRows) {
    // Summing hash slices (not string_agg in order) keeps memory flat for million-row tables;
    // sum(bigint) is numeric in PostgreSQL, so it cannot overflow.
    const { rows } = await sql<{ rows: string; a: string; b: string }>`
      SELECT count(*)::text AS rows,
             coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS a,
             coalesce(sum(('x' || substr(md5(t::text), 16, 15))::bit(60)::bigint), 0)::text AS b
      FROM ${sql.table(name)} AS t`.execute(trx);
    const row = rows[0]!;
    tables[name] = { rows: Number(row.rows), checksum: `${row.a}:${row.b}` };
  }

  let migration: string | null = null;
  if (tables[MIGRATION_TABLE]) {
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name DESC LIMIT 1`.execute(trx);
    migration = rows[0]?.name ?? null;
  }
  return { migration, tables };
}

/** Human-readable differences between what was backed up and what is there now; empty = identical. */
export function compareFingerprints(expected: DatabaseFingerprint, actual: DatabaseFingerprint): string[] {
  const differences: string[] = [];
  if (expected.migration !== actual.migration) {
    differences.push(`schema migration: expected ${expected.migration ?? '(none)'}, found ${actual.migration ?? '(none)'}`);
  }
  const names = [...new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)])].sort();
  for (const name of names) {
    const want = expected.tables[name];
    const got = actual.tables[name];
    if (!got) differences.push(`table ${name}: missing (expected ${want!.rows} rows)`);
    else if (!want) differences.push(`table ${name}: not in the backup (found ${got.rows} rows)`);
    else if (want.rows !== got.rows) differences.push(`table ${name}: expected ${want.rows} rows, found ${got.rows}`);
    else if (want.checksum !== got.checksum) differences.push(`table ${name}: same row count (${got.rows}) but different content (checksum)`);
  }
  return differences;
}

export function totalRows(fingerprint: DatabaseFingerprint): number {
  return Object.values(fingerprint.tables).reduce((sum, t) => sum + t.rows, 0);
}
