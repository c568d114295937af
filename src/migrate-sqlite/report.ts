import type { TableChecksum } from './checksum.js';
import type { DetectedFormat } from './format-detector.js';

/**
 * The import report: printed by the CLI (human summary or `--json`), stored in
 * sqlite_import_runs.report, and returned by `migrateSqlite()` for tests and callers.
 */
export type ProblemKind = 'orphan' | 'invalid-json' | 'invalid-value' | 'unknown-enum' | 'constraint' | 'unsupported-table';

export interface Problem {
  kind: ProblemKind;
  table: string;
  rowId: string;
  column?: string;
  message: string;
}

/** A choice that was not a plain copy, with how often it was made and a few examples. */
export interface Decision {
  kind: string;
  description: string;
  count: number;
  examples: string[];
}

export interface TableReport {
  table: string;
  sourceTable: string;
  /** Rows in the source table (before skipping). */
  sourceRows: number;
  /** Rows that are (or, in a dry run, would be) written to the target table. */
  rows: number;
  /** Source rows not written: orphans under --skip-orphans plus rows skipped by a decision (below). */
  skipped: number;
  /** Why rows were skipped, reason → count (e.g. "deleted in the legacy install"). */
  skippedReasons: Record<string, number>;
  conversions: string[];
  /** Copy phase of this run only (a resumed table counts only what this run wrote). */
  copiedThisRun: number;
  seconds: number;
  rowsPerSecond: number;
  megabytesPerSecond: number;
  /** COPY text bytes sent for this table in this run. */
  bytes: number;
  expected: TableChecksum;
  actual?: TableChecksum;
  verified?: boolean;
}

export interface ReconciliationRow {
  sourceTable: string;
  sourceRows: number;
  /** outcome → count; the counts must add up to sourceRows. */
  outcomes: Record<string, number>;
  balanced: boolean;
}

export interface MigrationReport {
  source: { path: string; sizeBytes: number; fingerprint: string };
  format: DetectedFormat;
  target: string | null;
  dryRun: boolean;
  resumed: boolean;
  runId: number | null;
  tables: TableReport[];
  decisions: Decision[];
  problems: Problem[];
  problemCounts: Record<string, number>;
  /** Rows left out because of --skip-orphans, per table. */
  skippedOrphans: Record<string, number>;
  /** Every row left out, per table and reason (orphans included); the counts add up to `skipped`. */
  skippedRows: Record<string, Record<string, number>>;
  reconciliation: ReconciliationRow[];
  verification: { checked: boolean; ok: boolean; failures: string[] };
  reindex: { collections: number; command: string };
  /**
   * Non-admin users granted the folders their imported collections index as document roots (a
   * legacy install had none). Done after verification, so a dry run lists none.
   */
  grantedDocumentRoots: string[];
  seconds: number;
  /** 0 verified (or a clean dry run), 1 problems or verification failed. */
  exitCode: 0 | 1;
}

const MAX_PROBLEMS_KEPT = 200;
export const SKIPPED_ORPHAN_REASON = 'orphan (--skip-orphans)';
const MAX_EXAMPLES = 5;

/** Collects problems and decisions while the plan is analysed; muted during the copy pass. */
export class ImportRecorder {
  muted = false;
  readonly problems: Problem[] = [];
  readonly problemCounts = new Map<string, number>();
  readonly skippedOrphans = new Map<string, number>();
  /** table → reason → count, for every row left out (orphans under --skip-orphans included). */
  readonly skippedRows = new Map<string, Map<string, number>>();
  private readonly decisions = new Map<string, Decision>();

  problem(p: Problem): void {
    if (this.muted) return;
    this.problemCounts.set(p.kind, (this.problemCounts.get(p.kind) ?? 0) + 1);
    if (this.problems.length < MAX_PROBLEMS_KEPT) this.problems.push(p);
  }

  skippedOrphan(table: string): void {
    if (this.muted) return;
    this.skippedOrphans.set(table, (this.skippedOrphans.get(table) ?? 0) + 1);
    this.countSkipped(table, SKIPPED_ORPHAN_REASON);
  }

  /** A row deliberately not imported (not a problem): counted per table and reason in the report. */
  skippedRow(table: string, reason: string): void {
    if (this.muted) return;
    this.countSkipped(table, reason);
  }

  private countSkipped(table: string, reason: string): void {
    let reasons = this.skippedRows.get(table);
    if (!reasons) this.skippedRows.set(table, (reasons = new Map()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }

  skippedTotal(table: string): number {
    let n = 0;
    for (const c of this.skippedRows.get(table)?.values() ?? []) n += c;
    return n;
  }

  skippedRowsReport(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.skippedRows].map(([table, reasons]) => [table, Object.fromEntries(reasons)]));
  }

  decide(kind: string, description: string, example?: string, count = 1): void {
    if (this.muted) return;
    let d = this.decisions.get(kind);
    if (!d) this.decisions.set(kind, (d = { kind, description, count: 0, examples: [] }));
    d.count += count;
    if (example !== undefined && d.examples.length < MAX_EXAMPLES) d.examples.push(example);
  }

  get problemTotal(): number {
    let n = 0;
    for (const c of this.problemCounts.values()) n += c;
    return n;
  }

  decisionList(): Decision[] {
    return [...this.decisions.values()];
  }
}

function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The human summary the CLI prints when --json is not given. */
export function formatReport(report: MigrationReport): string {
  const lines: string[] = [];
  lines.push(`Source: ${report.source.path} (${num(report.source.sizeBytes / 1e6, 1)} MB) — ${report.format.description}`);
  lines.push(`Target: ${report.dryRun ? '(dry run: nothing written)' : (report.target ?? '?')}${report.resumed ? ' — resumed an interrupted run' : ''}`);
  lines.push('');
  lines.push(`${'table'.padEnd(28)} ${'source'.padStart(10)} ${'target'.padStart(10)} ${'skipped'.padStart(8)} ${'rows/s'.padStart(10)} ${'MB/s'.padStart(7)}  verified`);
  for (const t of report.tables) {
    const verified = t.verified === undefined ? (report.dryRun ? 'dry run' : '—') : t.verified ? 'yes' : 'NO';
    lines.push(
      `${t.table.padEnd(28)} ${num(t.sourceRows).padStart(10)} ${num(t.rows).padStart(10)} ${num(t.skipped).padStart(8)} ` +
        `${(t.copiedThisRun ? num(t.rowsPerSecond) : '—').padStart(10)} ${(t.copiedThisRun ? num(t.megabytesPerSecond, 1) : '—').padStart(7)}  ${verified}`,
    );
  }
  if (report.reconciliation.length) {
    lines.push('', 'Reconciliation (every source row is accounted for):');
    for (const r of report.reconciliation) {
      const outcomes = Object.entries(r.outcomes)
        .map(([k, v]) => `${k} ${num(v)}`)
        .join(', ');
      lines.push(`  ${r.sourceTable.padEnd(16)} ${num(r.sourceRows).padStart(9)} = ${outcomes}${r.balanced ? '' : '  ← DOES NOT ADD UP'}`);
    }
  }
  if (report.decisions.length) {
    lines.push('', 'Decisions (not plain copies):');
    for (const d of report.decisions) {
      lines.push(`  - ${d.description}: ${num(d.count)}${d.examples.length ? ` (e.g. ${d.examples.join('; ')})` : ''}`);
    }
  }
  if (report.problems.length) {
    lines.push('', `Problems (${Object.entries(report.problemCounts).map(([k, v]) => `${k}: ${num(v)}`).join(', ')}):`);
    for (const p of report.problems.slice(0, 50)) {
      lines.push(`  - ${p.table} row ${p.rowId}${p.column ? ` column ${p.column}` : ''}: ${p.message}`);
    }
    if (report.problems.length > 50) lines.push(`  … ${report.problems.length - 50} more in the --json report`);
  }
  const skipped = Object.entries(report.skippedRows).flatMap(([t, reasons]) => Object.entries(reasons).map(([reason, n]) => `${t} ${num(n)} (${reason})`));
  if (skipped.length) lines.push('', `Skipped rows: ${skipped.join(', ')}`);
  if (report.grantedDocumentRoots.length) {
    lines.push('', `Document folders granted (the folders their collections index; review in Settings → Users): ${report.grantedDocumentRoots.slice(0, 10).join(', ')}${report.grantedDocumentRoots.length > 10 ? ` … ${report.grantedDocumentRoots.length - 10} more` : ''}`);
  }
  lines.push('');
  if (report.verification.failures.length) {
    lines.push('Verification FAILED:');
    for (const f of report.verification.failures) lines.push(`  - ${f}`);
  } else if (report.verification.checked) {
    lines.push('Verified: every table matches (row counts and content checksums; foreign keys and constraints checked).');
  } else if (report.dryRun) {
    lines.push(report.exitCode === 0 ? 'Dry run: no problems; a real run would write the rows above.' : 'Dry run: the problems above would stop a real run.');
  } else {
    lines.push('Nothing was written: fix the problems above (or use --skip-orphans for orphans) and run again.');
  }
  if (report.reindex.collections > 0 && !report.dryRun && report.verification.ok) {
    lines.push(
      `${num(report.reindex.collections)} collection(s) need a reindex (their vectors lived in the old vector store). ` +
        `Run: ${report.reindex.command}`,
    );
  }
  lines.push(`Took ${num(report.seconds, 1)} s.`);
  return lines.join('\n');
}
