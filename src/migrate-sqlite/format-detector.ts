import { type SqliteSource, SqliteMigrationError } from './sqlite-source.js';

/**
 * Which legacy Semantik format a SQLite file holds. Decided from table and column NAMES (never
 * positions), so files whose columns were appended by ALTER TABLE in another order still match.
 */
export type LegacyFormat = 'collections-era' | 'jobs-era-a' | 'jobs-era-b';

export interface DetectedFormat {
  format: LegacyFormat;
  /** One line for humans: what was found and why it was classified so. */
  description: string;
  /** Optional columns absent from this file (old variant-B files lack the appended ones). */
  missingColumns: Record<string, string[]>;
  /** Optional tables absent (e.g. a collections-era file without chunks). */
  missingTables: string[];
  /** Tables present but not part of the format (not imported; listed in the report). */
  extraTables: string[];
}

/** Columns each format must have; a file missing any of them is a wrong schema, named in the error. */
export const COLLECTIONS_ERA_REQUIRED: Record<string, string[]> = {
  users: ['id', 'username', 'email', 'hashed_password', 'is_superuser', 'created_at'],
  collections: ['id', 'name', 'owner_id', 'vector_store_name', 'embedding_model', 'chunk_size', 'chunk_overlap', 'status', 'created_at'],
  operations: ['id', 'uuid', 'collection_id', 'user_id', 'type', 'status', 'config', 'created_at'],
  documents: ['id', 'collection_id', 'file_path', 'file_name', 'file_size', 'content_hash', 'status', 'created_at'],
};
/** Tables of the collections era that may be absent in a file (then treated as empty and noted). */
export const COLLECTIONS_ERA_OPTIONAL_TABLES = [
  'refresh_tokens',
  'api_keys',
  'collection_sources',
  'collection_permissions',
  'collection_resource_limits',
  'operation_metrics',
  'collection_audit_log',
];

export const JOBS_ERA_REQUIRED: Record<string, string[]> = {
  users: ['id', 'username', 'hashed_password'],
  jobs: ['id', 'name', 'status', 'created_at', 'directory_path'],
  files: ['id', 'job_id', 'path'],
};
/** Columns appended by ALTER TABLE over the job era's life; very old variant-B files lack them. */
export const JOBS_ERA_APPENDED: Record<string, string[]> = {
  jobs: ['vector_dim', 'quantization', 'instruction', 'start_time', 'user_id', 'parent_job_id', 'mode'],
  files: ['doc_id', 'content_hash'],
};

const ALEMBIC_JOB_ERA_REVISION = '860fb2e922f2';

function missingColumns(source: SqliteSource, required: Record<string, string[]>): string[] {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(required)) {
    for (const column of columns) if (!source.hasColumn(table, column)) missing.push(`${table}.${column}`);
  }
  return missing;
}

export function detectFormat(source: SqliteSource): DetectedFormat {
  const found = [...source.tables.keys()];
  const has = (t: string) => source.hasTable(t);

  if (has('collections') && has('users') && has('operations') && has('documents')) {
    const missing = missingColumns(source, COLLECTIONS_ERA_REQUIRED);
    if (missing.length) {
      throw new SqliteMigrationError(
        `${source.path} looks like a collections-era Semantik database but its schema is different: missing ${missing.join(', ')}. ` +
          'Only files created by Semantik (see docs/migrating-from-sqlite.md) can be migrated.',
      );
    }
    const missingTables = COLLECTIONS_ERA_OPTIONAL_TABLES.filter((t) => !has(t));
    const known = new Set([...Object.keys(COLLECTIONS_ERA_REQUIRED), ...COLLECTIONS_ERA_OPTIONAL_TABLES, 'chunks', 'alembic_version']);
    return {
      extraTables: found.filter((t) => !known.has(t)),
      format: 'collections-era',
      description: `collections era (${found.filter((t) => t !== 'alembic_version').length} tables${has('chunks') ? ', with chunks' : ''})`,
      missingColumns: {},
      missingTables,
    };
  }

  if (has('jobs') && has('files') && has('users')) {
    const missing = missingColumns(source, JOBS_ERA_REQUIRED);
    if (missing.length) {
      throw new SqliteMigrationError(
        `${source.path} looks like a job-era Semantik database (webui.db) but its schema is different: missing ${missing.join(', ')}.`,
      );
    }
    const appendedMissing: Record<string, string[]> = {};
    for (const [table, columns] of Object.entries(JOBS_ERA_APPENDED)) {
      const absent = columns.filter((c) => !source.hasColumn(table, c));
      if (absent.length) appendedMissing[table] = absent;
    }
    // Variant B was hand-written DDL: AUTOINCREMENT keys (hence sqlite_sequence) and TEXT types.
    // Variant A came from the migration tool: no AUTOINCREMENT, VARCHAR types, alembic revision row.
    const filesSql = source.tables.get('files')!.sql.toUpperCase();
    const variantB = filesSql.includes('AUTOINCREMENT');
    let revision: string | undefined;
    if (has('alembic_version')) {
      const row = source.db.prepare('SELECT version_num FROM alembic_version LIMIT 1').get() as { version_num?: string } | undefined;
      revision = row?.version_num;
    }
    const parts = [variantB ? 'job era, variant B (hand-written DDL, AUTOINCREMENT keys)' : 'job era, variant A (migration-tool DDL)'];
    if (revision) parts.push(`alembic revision ${revision}${revision === ALEMBIC_JOB_ERA_REVISION ? '' : ' (unexpected)'}`);
    const absentList = Object.entries(appendedMissing).flatMap(([t, cs]) => cs.map((c) => `${t}.${c}`));
    if (absentList.length) parts.push(`old file without later columns: ${absentList.join(', ')}`);
    const known = new Set([...Object.keys(JOBS_ERA_REQUIRED), 'refresh_tokens', 'alembic_version']);
    return {
      extraTables: found.filter((t) => !known.has(t)),
      format: variantB ? 'jobs-era-b' : 'jobs-era-a',
      description: parts.join('; '),
      missingColumns: appendedMissing,
      missingTables: has('refresh_tokens') ? [] : ['refresh_tokens'],
    };
  }

  throw new SqliteMigrationError(
    `${source.path} is not a Semantik database: found tables ${found.length ? found.join(', ') : '(none)'}; ` +
      'expected users, collections, operations, documents … (collections era) or users, jobs, files (job era, webui.db).',
  );
}
