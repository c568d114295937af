import { type Kysely, sql } from 'kysely';
import type { DeferredObjects } from './deferred-constraints.js';

/** Per target table: how far the import got (every batch commits together with its entry). */
export interface TableProgress {
  lastKey: number;
  rows: number;
  done: boolean;
  /** Indexes and foreign keys dropped for the bulk load and not yet rebuilt (deferred-constraints.ts). */
  deferred?: DeferredObjects;
}

export interface ImportRunRow {
  id: number;
  source_fingerprint: string;
  source_path: string;
  format: string;
  status: 'running' | 'completed' | 'failed';
  progress: Record<string, TableProgress>;
  started_at: Date;
  finished_at: Date | null;
}

/** sqlite_import_runs (migration 20261124T0800). Thin: one statement per method. */
export class ImportRunRepository {
  constructor(private readonly db: Kysely<any>) {}

  /** Runs that did not complete (they may hold dropped indexes to restore). */
  async findUnfinished(): Promise<ImportRunRow[]> {
    const { rows } = await sql<ImportRunRow>`
      SELECT id, source_fingerprint, source_path, format, status, progress, started_at, finished_at
      FROM sqlite_import_runs WHERE status <> 'completed' ORDER BY id`.execute(this.db);
    return rows;
  }

  async findLatest(): Promise<ImportRunRow | undefined> {
    const { rows } = await sql<ImportRunRow>`
      SELECT id, source_fingerprint, source_path, format, status, progress, started_at, finished_at
      FROM sqlite_import_runs ORDER BY started_at DESC, id DESC LIMIT 1`.execute(this.db);
    return rows[0];
  }

  async insert(run: { fingerprint: string; sourcePath: string; format: string }): Promise<ImportRunRow> {
    const { rows } = await sql<ImportRunRow>`
      INSERT INTO sqlite_import_runs (source_fingerprint, source_path, format)
      VALUES (${run.fingerprint}, ${run.sourcePath}, ${run.format})
      RETURNING id, source_fingerprint, source_path, format, status, progress, started_at, finished_at`.execute(this.db);
    return rows[0]!;
  }

  async markRunning(id: number, sourcePath: string): Promise<void> {
    await sql`UPDATE sqlite_import_runs SET status = 'running', source_path = ${sourcePath}, updated_at = now() WHERE id = ${id}`.execute(this.db);
  }

  /** Called inside each batch's transaction, so the progress entry commits with the batch's rows. */
  async updateProgress(id: number, table: string, progress: TableProgress): Promise<void> {
    await sql`
      UPDATE sqlite_import_runs
      SET progress = progress || jsonb_build_object(${table}::text, ${JSON.stringify(progress)}::jsonb), updated_at = now()
      WHERE id = ${id}`.execute(this.db);
  }

  async finish(id: number, status: 'completed' | 'failed', report: unknown): Promise<void> {
    await sql`
      UPDATE sqlite_import_runs SET status = ${status}, finished_at = now(), updated_at = now(), report = ${JSON.stringify(report)}::jsonb
      WHERE id = ${id}`.execute(this.db);
  }
}
