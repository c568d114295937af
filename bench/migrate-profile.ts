/**
 * Where migrate-sqlite's CPU goes in this process, per table, stage by stage (each stage includes the
 * ones before it, so the differences are each stage's cost): SQLite read (raw pages), + row
 * conversion, + checksum, + COPY text encoding. CPU seconds (process.cpuUsage), not wall time, so
 * the numbers hold on a shared machine. The server's side (COPY parsing, index builds, verification
 * queries) is what migrate.bench.ts's wall times add on top.
 */
import { buildCollectionsEraPlan, scanTable } from '../src/migrate-sqlite/collections-era.transformer.js';
import { ChecksumAccumulator } from '../src/migrate-sqlite/checksum.js';
import { encodeCopyLine } from '../src/migrate-sqlite/copy-writer.js';
import { detectFormat } from '../src/migrate-sqlite/format-detector.js';
import { ImportRecorder } from '../src/migrate-sqlite/report.js';
import { openSqliteSource } from '../src/migrate-sqlite/sqlite-source.js';

export interface StageProfile {
  table: string;
  rows: number;
  read: number;
  convert: number;
  checksum: number;
  encode: number;
}

function cpuSeconds(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

export function profileStages(file: string): { openSeconds: number; tables: StageProfile[] } {
  let source!: ReturnType<typeof openSqliteSource>;
  const openSeconds = cpuSeconds(() => (source = openSqliteSource(file)));
  try {
    const plan = buildCollectionsEraPlan(source, detectFormat(source), new ImportRecorder(), { skipOrphans: false });
    const tables: StageProfile[] = [];
    for (const job of plan.tables) {
      // The plan's parent-key sets fill as rows are produced, so every stage reruns the producer in order.
      let rows = 0;
      const read = cpuSeconds(() => {
        for (const _ of scanTable(source, job.sourceTable, 0)) rows += 1;
      });
      const convert = cpuSeconds(() => {
        for (const _ of job.rows(0));
      });
      const checksum = cpuSeconds(() => {
        const acc = new ChecksumAccumulator(job.columns);
        for (const row of job.rows(0)) acc.add(row.values);
      });
      const encode = cpuSeconds(() => {
        const acc = new ChecksumAccumulator(job.columns);
        let chunk = '';
        for (const row of job.rows(0)) {
          acc.add(row.values);
          chunk += encodeCopyLine(row.values, job.columns);
          if (chunk.length >= 64 * 1024) chunk = '';
        }
      });
      tables.push({ table: job.table, rows, read, convert, checksum, encode });
    }
    return { openSeconds, tables };
  } finally {
    source.close();
  }
}
