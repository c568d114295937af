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

/** One row in COPY text format; floats use float8out text so `-0` and 1e+20 survive exactly. */
export function encodeCopyLine(values: readonly unknown[], columns: readonly ColumnSpec[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const v = values[i];
    line += columns[i]!.type === 'float' && typeof v === 'number' ? float8Text(v) : copyTextValue(v);
  }
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

/**
 * One pass over a table: read → convert (the producer) → checksum (`onRow`) → COPY, in batches; each
 * batch is one transaction that also records its progress, so a killed run resumes after the last
 * committed batch (exactly once). Rows an interrupted run already committed are read again — their
 * checksums and parent keys are needed — but not sent.
 *
 * Rows are produced lazily while the COPY streams: SQLite reading and conversion (this process)
 * overlap with parsing and index maintenance (the server process). Lines are sent in ~64 KB
 * chunks; one CopyData message per row costs ~30% throughput on the bench machine.
 */
export async function streamTable(database: Database, runId: number, job: TableJob, start: TableProgress, options: StreamOptions): Promise<CopyStats> {
  const statement = copyStatement(job.table, job.columns);
  const started = performance.now();
  const iterator = job.rows(0)[Symbol.iterator]();
  let state: TableProgress = { ...start };
  let rowsThisRun = 0;
  let bytesThisRun = 0;
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
      state = await inUnitOfWork(
        database,
        async (tx) => {
          if (!next.done) await tx.executeQuery(makeCopyQuery(statement, { lines: lines() }));
          const done = next.done === true;
          // The rebuild commits with the last batch: a table is never "done" without its indexes.
          if (done && state.deferred) await restoreDeferred(tx, job.table, state.deferred);
          const progress: TableProgress = { lastKey: batch.lastKey, rows: base + batch.rows, done, ...(state.deferred && !done ? { deferred: state.deferred } : {}) };
          await new ImportRunRepository(tx).updateProgress(runId, job.table, progress);
          return progress;
        },
        // A retry could not replay the consumed rows; the batch loop resumes them (--resume).
        { retries: 0 },
      );
      rowsThisRun += batch.rows;
      bytesThisRun += batch.bytes;
      options.onRows(state.rows);
    }
    for (; !next.done; next = iterator.next()) options.onRow(next.value);
  } finally {
    iterator.return?.();
  }
  return { rows: rowsThisRun, bytes: bytesThisRun, seconds: (performance.now() - started) / 1000 };
}

/** Moves a bigint identity's sequence past the highest copied id, so new rows do not collide. */
export async function resetIdentity(database: Database, table: string): Promise<void> {
  await sql`
    SELECT setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false)
    FROM ${sql.table(table)}`.execute(database.db);
}
