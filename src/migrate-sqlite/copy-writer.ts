import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { copyTextValue, makeCopyQuery } from '../db/drivers/copy-payload.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import type { ColumnSpec } from './checksum.js';
import type { ProducedRow, TableJob } from './import-plan.js';
import { dropForBulkLoad, restoreDeferred } from './deferred-constraints.js';
import { ImportRunRepository, type TableProgress } from './import-run.repository.js';
import { float8Text } from './value-converters.js';

/** Writes target tables with COPY … FROM STDIN (see streamTable). */
const CHUNK_CHARS = 64 * 1024;

export interface CopyStats {
  rows: number;
  bytes: number;
  seconds: number;
}

function identifier(name: string): string {
  // Table and column names come from the importer's static column specs, never from input.
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected identifier ${name}`);
  return `"${name}"`;
}

export function copyStatement(table: string, columns: readonly ColumnSpec[]): string {
  return `COPY ${identifier(table)} (${columns.map((c) => identifier(c.name)).join(', ')}) FROM STDIN`;
}

const COPY_SPECIALS = /[\\\n\r\t]/;

/**
 * One value in COPY text format. The converters already produced strings, numbers and booleans, so
 * the common cases skip copyTextValue's String() + replace(): on the bench documents table encoding
 * was ~35% of the importer's CPU, 10 points of it in that generic path.
 */
function copyValue(v: unknown, type: ColumnSpec['type']): string {
  if (typeof v === 'string') {
    // uuid and timestamptz values are the converters' own output (legacyIdToUuid/uuidV5, convertDatetime), never input text.
    if (type === 'uuid' || type === 'timestamptz') return v;
    return COPY_SPECIALS.test(v) ? copyTextValue(v) : v;
  }
  if (typeof v === 'number') return type === 'float' ? float8Text(v) : String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return copyTextValue(v);
}

/** One row in COPY text format; floats use float8out text so `-0` and 1e+20 survive exactly. */
export function encodeCopyLine(values: readonly unknown[], columns: readonly ColumnSpec[]): string {
  let line = copyValue(values[0], columns[0]!.type);
  for (let i = 1; i < values.length; i++) line += '\t' + copyValue(values[i], columns[i]!.type);
  return line + '\n';
}

export interface StreamOptions {
  batchSize: number;
  /** Every produced row, whether this run sends it or an interrupted run already committed it. */
  onRow: (row: ProducedRow) => void;
  /** False once the run has become a refusal: the rest is still read and checked, not written. */
  writing: () => boolean;
  onRows: (rowsDoneInTable: number) => void;
  /** Drop secondary indexes and foreign keys for the copy, rebuild them with the last batch. */
  bulkLoad: boolean;
}

export interface StreamResult {
  /** Rows and bytes this run sent; known once the last row is sent. */
  sent: CopyStats;
  /** Resolves when every row is committed (a bulk load's rebuild may still be running). */
  rowsCommitted: Promise<void>;
  /**
   * Resolves when the table is done: its last batch and a bulk load's rebuild of its indexes and
   * foreign keys have committed; `seconds` then includes the rebuild. Rejects if either fails.
   */
  committed: Promise<CopyStats>;
}

/**
 * One pass over a table: read → convert (the producer) → checksum (`onRow`) → COPY, in batches; each
 * batch is one transaction that also records its progress, so a killed run resumes after the last
 * committed batch (exactly once). Rows an interrupted run already committed are read again — their
 * checksums and parent keys are needed — but not sent.
 *
 * Rows are produced lazily while the COPY streams: SQLite reading and conversion (this process)
 * overlap with parsing and index maintenance (the server process). Lines are sent in ~64 KB
 * chunks; one CopyData message per row costs ~30% throughput on the bench machine.
 *
 * Returns as soon as the last row is sent. The last batch then commits, and a bulk load's rebuild of
 * the deferred indexes and foreign keys follows in its own transaction (which marks the table done);
 * `rowsCommitted` says when every row is in (the caller's checksum can read them while the indexes
 * build), `committed` when the table is done.
 */
export async function streamTable(database: Database, runId: number, job: TableJob, start: TableProgress, options: StreamOptions): Promise<StreamResult> {
  const statement = copyStatement(job.table, job.columns);
  const started = performance.now();
  const iterator = job.rows(0)[Symbol.iterator]();
  let state: TableProgress = { ...start };
  let rowsThisRun = 0;
  let bytesThisRun = 0;
  let lastCommit: Promise<unknown> = Promise.resolve();
  let rowsCommitted: Promise<unknown> | undefined;
  try {
    let next = iterator.next();
    for (; !next.done && (state.done || next.value.key <= state.lastKey); next = iterator.next()) options.onRow(next.value);
    if (options.bulkLoad && !state.done && state.rows === 0 && !state.deferred && !next.done && options.writing()) {
      state = await inUnitOfWork(database, async (tx) => {
        const progress: TableProgress = { ...state, deferred: await dropForBulkLoad(tx, job.table) };
        await new ImportRunRepository(tx).updateProgress(runId, job.table, progress);
        return progress;
      });
    }

    while (!state.done && options.writing()) {
      const batch = { rows: 0, bytes: 0, lastKey: state.lastKey };
      const base = state.rows;
      function* lines(): Generator<string> {
        let chunk = '';
        while (!next.done) {
          const row = next.value;
          options.onRow(row);
          chunk += encodeCopyLine(row.values, job.columns);
          batch.rows += 1;
          batch.lastKey = row.key;
          next = iterator.next();
          if (chunk.length >= CHUNK_CHARS) {
            batch.bytes += Buffer.byteLength(chunk);
            yield chunk;
            chunk = '';
            options.onRows(base + batch.rows);
          }
          if (batch.rows >= options.batchSize || !options.writing()) break;
        }
        if (chunk) {
          batch.bytes += Buffer.byteLength(chunk);
          yield chunk;
        }
      }
      let signalAllSent!: () => void;
      const allSent = new Promise<'sent'>((resolve) => (signalAllSent = () => resolve('sent')));
      const batchCommit = inUnitOfWork(
        database,
        async (tx) => {
          // Safe to lose on a server crash: a batch's rows and its progress entry vanish together (one
          // transaction), so --resume redoes it; the run's final status commits synchronously, which
          // flushes every earlier commit's WAL. Saves one WAL flush wait per batch.
          if (database.kind === 'server') await sql`SET LOCAL synchronous_commit = off`.execute(tx);
          if (!next.done) await tx.executeQuery(makeCopyQuery(statement, { lines: lines() }));
          const allRead = next.done === true;
          if (allRead) signalAllSent();
          // A bulk load's last rows commit first, then the rebuild (restoreRebuild below), so the
          // table's checksum can read them while the indexes build; the table is "done" only with them.
          const done = allRead && !state.deferred;
          const progress: TableProgress = { lastKey: batch.lastKey, rows: base + batch.rows, done, ...(state.deferred ? { deferred: state.deferred } : {}) };
          await new ImportRunRepository(tx).updateProgress(runId, job.table, progress);
          return progress;
        },
        // A retry could not replay the consumed rows; the batch loop resumes them (--resume).
        { retries: 0 },
      );
      const first = await Promise.race([batchCommit, allSent]);
      rowsThisRun += batch.rows;
      bytesThisRun += batch.bytes;
      if (first === 'sent') {
        rowsCommitted = batchCommit;
        lastCommit = batchCommit.then((progress) => (progress.done ? undefined : rebuild(database, runId, job.table, progress)));
        break;
      }
      state = first;
      options.onRows(state.rows);
    }
    for (; !next.done; next = iterator.next()) options.onRow(next.value);
  } finally {
    iterator.return?.();
  }
  const sent: CopyStats = { rows: rowsThisRun, bytes: bytesThisRun, seconds: (performance.now() - started) / 1000 };
  return {
    sent,
    rowsCommitted: (rowsCommitted ?? lastCommit).then(() => {}),
    committed: lastCommit.then(() => ({ ...sent, seconds: (performance.now() - started) / 1000 })),
  };
}

/** A bulk load's end: rebuild the dropped indexes and foreign keys, and mark the table done, in one transaction. */
async function rebuild(database: Database, runId: number, table: string, progress: TableProgress): Promise<void> {
  await inUnitOfWork(
    database,
    async (tx) => {
      await restoreDeferred(tx, table, progress.deferred!);
      await new ImportRunRepository(tx).updateProgress(runId, table, { lastKey: progress.lastKey, rows: progress.rows, done: true });
    },
    { retries: 0 },
  );
}

/** Moves a bigint identity's sequence past the highest copied id, so new rows do not collide. */
export async function resetIdentity(database: Database, table: string): Promise<void> {
  await sql`
    SELECT setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false)
    FROM ${sql.table(table)}`.execute(database.db);
}
