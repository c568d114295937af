import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.js';
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

const RUN_COLUMNS = ['id', 'source_fingerprint', 'source_path', 'format', 'status', 'progress', 'started_at', 'finished_at'] as const;

/** The jsonb column is typed as a plain object in the schema; its shape is this importer's own. */
function toRow(row: Omit<ImportRunRow, 'progress'> & { progress: Record<string, unknown> }): ImportRunRow {
  return { ...row, progress: row.progress as Record<string, TableProgress> };
}

/** sqlite_import_runs (migration 20261124T0800). Thin: one statement per method. */
export class ImportRunRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Runs that did not complete (they may hold dropped indexes to restore). */
  async findUnfinished(): Promise<ImportRunRow[]> {
    const rows = await this.db.selectFrom('sqlite_import_runs').select(RUN_COLUMNS).where('status', '<>', 'completed').orderBy('id').execute();
    return rows.map(toRow);
  }

  async findLatest(): Promise<ImportRunRow | undefined> {
    const row = await this.db.selectFrom('sqlite_import_runs').select(RUN_COLUMNS).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row && toRow(row);
  }

  async insert(run: { fingerprint: string; sourcePath: string; format: string }): Promise<ImportRunRow> {
    const row = await this.db
      .insertInto('sqlite_import_runs')
      .values({ source_fingerprint: run.fingerprint, source_path: run.sourcePath, format: run.format })
      .returning(RUN_COLUMNS)
      .executeTakeFirstOrThrow();
    return toRow(row);
  }

  async markRunning(id: number, sourcePath: string): Promise<void> {
    await this.db.updateTable('sqlite_import_runs').set({ status: 'running', source_path: sourcePath, updated_at: sql`now()` }).where('id', '=', id).execute();
  }

  /** Called inside each batch's transaction, so the progress entry commits with the batch's rows. */
  async updateProgress(id: number, table: string, progress: TableProgress): Promise<void> {
    await this.db
      .updateTable('sqlite_import_runs')
      .set({ progress: sql`progress || jsonb_build_object(${table}::text, ${JSON.stringify(progress)}::jsonb)`, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async finish(id: number, status: 'completed' | 'failed', report: unknown): Promise<void> {
    await this.db
      .updateTable('sqlite_import_runs')
      .set({ status, finished_at: sql`now()`, updated_at: sql`now()`, report: JSON.stringify(report) })
      .where('id', '=', id)
      .execute();
  }
}
