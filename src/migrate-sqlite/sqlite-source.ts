import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** Errors the operator can act on; the CLI prints the message and exits 1. */
export class SqliteMigrationError extends Error {
  override name = 'SqliteMigrationError';
}

export interface TableInfo {
  name: string;
  /** The CREATE TABLE text as stored in sqlite_master. */
  sql: string;
  columns: Map<string, { type: string; notNull: boolean }>;
}

export interface SqliteSource {
  path: string;
  db: BetterSqlite3.Database;
  sizeBytes: number;
  tables: Map<string, TableInfo>;
  hasTable(name: string): boolean;
  hasColumn(table: string, column: string): boolean;
  count(table: string): number;
  close(): void;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens the legacy file read-only. better-sqlite3 `{readonly: true}` still reads committed content
 * of a `-wal` file (unlike `immutable`, which would ignore it), and never checkpoints or writes.
 */
export function openSqliteSource(file: string): SqliteSource {
  const resolved = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new SqliteMigrationError(`${file} does not exist or is not readable`);
  }
  if (!stat.isFile()) throw new SqliteMigrationError(`${file} is not a file`);
  if (stat.size === 0) throw new SqliteMigrationError(`${file} is not a SQLite database (the file is empty)`);
  // Before anything opens the file: closing any descriptor of a file drops every POSIX lock this
  // process holds on it, so a same-process writer's lock would vanish from /proc/locks.
  assertNoWriter(resolved, file);
  const header = Buffer.alloc(16);
  const fd = fs.openSync(resolved, 'r');
  try {
    fs.readSync(fd, header, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    const shown = header.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    throw new SqliteMigrationError(`${file} is not a SQLite database (its first bytes are "${shown}", expected "SQLite format 3")`);
  }

  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(resolved, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new SqliteMigrationError(`${file} could not be opened as a SQLite database (${(err as Error).message})`);
  }
  let tables: Map<string, TableInfo>;
  try {
    // quick_check reads every page once: a truncated or bit-flipped file fails here, not mid-copy.
    const check = db.pragma('quick_check(5)') as Array<{ quick_check: string }>;
    const verdict = check.map((r) => r.quick_check).join('; ');
    if (verdict !== 'ok') throw new SqliteMigrationError(`${file} is a corrupt SQLite database (integrity check: ${verdict})`);
    tables = readTables(db);
  } catch (err) {
    db.close();
    if (err instanceof SqliteMigrationError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw writerError(file);
    throw new SqliteMigrationError(`${file} is not a SQLite database or is corrupt (${code ? code + ': ' : ''}${(err as Error).message})`);
  }

  const counts = new Map<string, number>();
  return {
    path: resolved,
    db,
    sizeBytes: stat.size,
    tables,
    hasTable: (name) => tables.has(name),
    hasColumn: (table, column) => tables.get(table)?.columns.has(column) ?? false,
    count(table) {
      let n = counts.get(table);
      if (n === undefined) {
        n = (db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }).n;
        counts.set(table, n);
      }
      return n;
    },
    close: () => db.close(),
  };
}

function readTables(db: BetterSqlite3.Database): Map<string, TableInfo> {
  const rows = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
    .all() as Array<{ name: string; sql: string | null }>;
  const tables = new Map<string, TableInfo>();
  for (const row of rows) {
    const columns = new Map<string, { type: string; notNull: boolean }>();
    const info = db.prepare(`SELECT name, type, "notnull" AS nn FROM pragma_table_info(?)`).all(row.name) as Array<{
      name: string;
      type: string;
      nn: number;
    }>;
    for (const c of info) columns.set(c.name, { type: c.type.toUpperCase(), notNull: c.nn === 1 });
    tables.set(row.name, { name: row.name, sql: row.sql ?? '', columns });
  }
  return tables;
}

function writerError(file: string): SqliteMigrationError {
  return new SqliteMigrationError(
    `${file} is being written by another process (it holds the SQLite write lock).\n` +
      '  Stop the legacy Semantik (webui / worker) that uses this file, or migrate a copy made with\n' +
      '  `sqlite3 FILE ".backup copy.db"`, then run the command again.',
  );
}

/**
 * Refuses to read a file while another connection holds its write lock, so the copy is a consistent
 * snapshot of a file nobody is changing. SQLite's unix locks are POSIX byte-range locks, visible to
 * every process in /proc/locks: a writer in rollback-journal mode holds a WRITE lock on the RESERVED
 * byte (offset 2^30 + 1) or the PENDING byte (2^30) of the database file; in WAL mode it holds the
 * WAL write lock, byte 120 of the `-shm` file. Where /proc/locks does not exist (macOS), SQLite's
 * own SQLITE_BUSY on the first read catches the exclusive phase of a commit, which is the best a
 * read-only reader can do.
 */
export function assertNoWriter(resolved: string, shownName: string): void {
  let locks: string;
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return;
  }
  const targets: Array<{ file: string; bytes: number[] }> = [{ file: resolved, bytes: [2 ** 30, 2 ** 30 + 1] }];
  if (fs.existsSync(`${resolved}-shm`)) targets.push({ file: `${resolved}-shm`, bytes: [120] });
  for (const target of targets) {
    // Matched by inode only: on overlay/container file systems the device /proc/locks prints can
    // differ from stat().dev, and a same-inode WRITE lock on these exact bytes elsewhere is implausible.
    const inode = String(fs.statSync(target.file).ino);
    for (const line of locks.split('\n')) {
      // "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 1073741825 1073741825"
      const parts = line.trim().split(/\s+/);
      const idIndex = parts.findIndex((p) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(p));
      if (idIndex < 0 || parts[idIndex]!.split(':')[2] !== inode || !parts.includes('WRITE')) continue;
      const start = Number(parts[idIndex + 1]);
      const endText = parts[idIndex + 2];
      const end = endText === 'EOF' ? Infinity : Number(endText);
      if (target.bytes.some((b) => b >= start && b <= end)) throw writerError(shownName);
    }
  }
}

/**
 * Identifies the source for `--resume`: a sha256 over the database file and its `-wal` (whose
 * committed pages are part of what is read). Reading ~1 GB/s, a full hash costs ~0.1 s for the
 * 200k-document test file, so no sampling shortcut is needed.
 */
export function fingerprintSource(resolved: string): string {
  const hash = createHash('sha256');
  for (const file of [resolved, `${resolved}-wal`]) {
    if (!fs.existsSync(file)) continue;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        hash.update(buffer.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
