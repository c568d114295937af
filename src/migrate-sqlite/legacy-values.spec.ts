import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createJobsEraFile, JOB_IDS, writeJobsEraScenario } from '../../test/support/legacy-jobs-era-fixtures.js';
import { createCollectionsEraFile, EDGE_IDS, REAL_INSTALL, writeEdgeCaseRows, writeLargeRows, writeRealInstallRows, type LegacyDb } from '../../test/support/legacy-sqlite-fixtures.js';
import { testWorkspace } from '../../test/support/test-databases.js';
import { DELETED_DOCUMENT_REASON } from './collections-era.transformer.js';
import { migrateSqlite } from './migrate-sqlite.service.js';
import { SKIPPED_ORPHAN_REASON } from './report.js';

/**
 * Every value the original could write (its models and Alembic revisions), in both legacy formats:
 * each one either migrates to a documented value or is a reported decision — and a value it never
 * wrote still refuses the whole file with nothing written.
 */
const workspace = testWorkspace('semantik-legacy-values-');
const freshTarget = workspace.serverDatabase;

function collectionsFile(name: string, fill: (db: LegacyDb) => void): string {
  const file = path.join(workspace.dir, name);
  const db = createCollectionsEraFile(file);
  fill(db);
  db.close();
  return file;
}

async function rowCount(db: import('kysely').Kysely<import('../db/schema.js').DB>, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(rows[0]!.n);
}

describe('migrate-sqlite: a collections-era file built like a real install', () => {
  it('stops only on the real orphans (not on DELETED documents or the values Python wrote), writing nothing', async () => {
    const target = await freshTarget();
    const report = await migrateSqlite({ source: collectionsFile('real-stop.db', writeRealInstallRows), database: target.database });
    expect(report.exitCode).toBe(1);
    expect(report.runId).toBeNull();
    expect(report.problems.map((p) => `${p.kind} ${p.table}:${p.rowId}:${p.column}`).sort()).toEqual([
      `orphan collection_audit_log:3:collection_id`,
      `orphan documents:${REAL_INSTALL.doc(REAL_INSTALL.orphanDoc)}:collection_id`,
      'orphan operation_metrics:3:operation_id',
    ]);
    for (const table of ['users', 'collections', 'documents', 'sqlite_import_runs']) expect(await rowCount(target.database.db, table)).toBe(0);
  });

  it('migrates and verifies with --skip-orphans: DELETED documents skipped with the reason, Python values converted', async () => {
    const target = await freshTarget();
    const file = collectionsFile('real.db', writeRealInstallRows);
    const dry = await migrateSqlite({ source: file, database: target.database, skipOrphans: true, dryRun: true });
    const report = await migrateSqlite({ source: file, database: target.database, skipOrphans: true, batchSize: 2 });
    expect(report.problems.filter((p) => p.kind !== 'orphan')).toEqual([]);
    expect(report.verification).toEqual({ checked: true, ok: true, failures: [] });
    expect(report.exitCode).toBe(0);
    expect(dry.tables.map((t) => [t.table, t.rows, t.skippedReasons])).toEqual(report.tables.map((t) => [t.table, t.rows, t.skippedReasons]));

    // The decision is in the JSON report: per table and reason, and as a decision with examples.
    const documents = report.tables.find((t) => t.table === 'documents')!;
    expect(documents).toMatchObject({ sourceRows: 9, rows: 5, skipped: 4, verified: true });
    expect(documents.skippedReasons).toEqual({ [DELETED_DOCUMENT_REASON]: 3, [SKIPPED_ORPHAN_REASON]: 1 });
    expect(report.skippedRows['documents']).toEqual(documents.skippedReasons);
    expect(report.skippedOrphans).toEqual({ documents: 1, operation_metrics: 1, collection_audit_log: 1 });
    const deleted = report.decisions.find((d) => d.kind === 'deleted-documents')!;
    expect(deleted.count).toBe(3);
    expect(deleted.examples).toEqual(REAL_INSTALL.deletedDocs.map(REAL_INSTALL.doc));
    expect(report.format.extraTables).toEqual([]); // alembic_version is part of the format

    const db = target.database.db;
    // DELETED documents are not in the target at all: nothing to search, nothing a reindex revives.
    const docs = await db.selectFrom('documents').select(['id', 'status', 'metadata', 'source_id']).orderBy('id').execute();
    expect(docs.map((d) => d.id)).toEqual([1, 2, 3, 7, 8].map(REAL_INSTALL.doc));
    expect(docs.map((d) => d.status)).toEqual(['completed', 'completed', 'failed', 'completed', 'pending']);
    // ensure_ascii escapes: a surrogate pair is the emoji; a lone surrogate (surrogateescape) → U+FFFD.
    expect(docs[0]!.metadata).toEqual({ title: 'Müller 😀', pages: 3 });
    expect(docs[1]!.metadata).toEqual({ original_name: 'caf\uFFFD.md' });
    expect(docs[3]!.metadata).toEqual({ doi: '10.1000/xyz', score: null });
    expect(report.decisions.find((d) => d.kind === 'json-lone-surrogate')?.count).toBe(1);
    expect(report.decisions.find((d) => d.kind === 'json-non-finite')?.count).toBe(4);
    // Only the kept source is imported; the removed one never was in the file any more.
    expect((await db.selectFrom('collection_sources').select('id').orderBy('id').execute()).map((s) => s.id)).toEqual([1, 3]);

    // NULLs where the model had Python-side defaults, and SQLAlchemy's JSON null for None.
    const admin = await db.selectFrom('users').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    expect(admin.is_active).toBe(true);
    expect(admin.updated_at.toISOString()).toBe(admin.created_at.toISOString());
    expect((await db.selectFrom('refresh_tokens').select('is_revoked').executeTakeFirstOrThrow()).is_revoked).toBe(false);
    const { rows: keys } = await sql<{ is_sql_null: boolean }>`SELECT permissions IS NULL AS is_sql_null FROM api_keys`.execute(db);
    expect(keys).toEqual([{ is_sql_null: true }]);
    const { rows: audit } = await sql<{ id: string; is_sql_null: boolean }>`SELECT id::text, details IS NULL AS is_sql_null FROM collection_audit_log ORDER BY id`.execute(db);
    expect(audit).toEqual([{ id: '1', is_sql_null: false }, { id: '2', is_sql_null: true }]);
    const notes = await db.selectFrom('collections').selectAll().where('id', '=', REAL_INSTALL.collection).executeTakeFirstOrThrow();
    expect(notes.metadata).toEqual({ legacy: { status: 'ready', qdrant_collections: ['col_notes'], qdrant_staging: null, vector_count: 120 } });

    // Both spellings of the enums: member names and the lower-case values of later revisions.
    const ops = await db.selectFrom('operations').select(['type', 'status', 'config', 'metadata']).orderBy('id').execute();
    expect(ops.map((o) => `${o.type}:${o.status}`)).toEqual(['index:completed', 'append:completed', 'remove_source:completed', 'index:failed']);
    expect(ops[2]!.metadata).toMatchObject({ documents_marked_deleted: 3, eta_seconds: null, rate: null });
    expect(ops[3]!.config).toEqual({});
    const perms = await db.selectFrom('collection_permissions').select('permission').orderBy('id').execute();
    expect(perms.map((p) => p.permission)).toEqual(['read', 'write']);
  });

  it('skips the chunks of DELETED documents too, when the build kept chunks in SQLite', async () => {
    const file = collectionsFile('deleted-chunks.db', (db) => {
      writeEdgeCaseRows(db);
      db.prepare(`UPDATE documents SET status = 'DELETED' WHERE id = ?`).run(EDGE_IDS.documentUuid(2));
      db.exec(`CREATE TABLE chunks (id VARCHAR NOT NULL PRIMARY KEY, collection_id VARCHAR NOT NULL, document_id VARCHAR NOT NULL,
        chunk_index INTEGER NOT NULL, content TEXT NOT NULL, created_at DATETIME NOT NULL)`);
      const chunk = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)');
      chunk.run('c2000000-0000-4000-8000-000000000001', EDGE_IDS.collectionReady, EDGE_IDS.documentUuid(1), 0, 'kept', '2024-01-01 00:00:00');
      chunk.run('c2000000-0000-4000-8000-000000000002', EDGE_IDS.collectionReady, EDGE_IDS.documentUuid(2), 0, 'of a deleted document', '2024-01-01 00:00:00');
    });
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.problems).toEqual([]);
    expect(report.verification.ok).toBe(true);
    expect(report.tables.find((t) => t.table === 'chunks')).toMatchObject({ rows: 1, skipped: 1, verified: true });
    expect(report.tables.find((t) => t.table === 'documents')).toMatchObject({ rows: 7, skipped: 1 });
    expect((await target.database.db.selectFrom('chunks').select('text').execute()).map((c) => c.text)).toEqual(['kept']);
  });

  for (const [what, column, value] of [
    ['a document status the original never wrote', 'documents.status', 'ARCHIVED'],
    ['a mixed-case spelling no SQLAlchemy version wrote', 'documents.status', 'Deleted'],
    ['an operation type of a later schema', 'operations.type', 'PROJECTION_BUILD'],
  ] as const) {
    it(`still refuses ${what} (${value}) with nothing written`, async () => {
      const [table, col] = column.split('.') as [string, string];
      const file = collectionsFile(`unknown-${value}.db`, (db) => {
        writeRealInstallRows(db);
        db.prepare(`UPDATE ${table} SET ${col} = ? WHERE rowid = (SELECT min(rowid) FROM ${table})`).run(value);
      });
      const target = await freshTarget();
      // One row per batch: the tables before the bad row are committed by the single pass, and undone.
      const report = await migrateSqlite({ source: file, database: target.database, skipOrphans: true, batchSize: 1 });
      expect(report.exitCode).toBe(1);
      expect(report.runId).toBeNull();
      const fatal = report.problems.filter((p) => p.kind !== 'orphan');
      expect(fatal).toEqual([expect.objectContaining({ kind: 'unknown-enum', table, column: col })]);
      expect(fatal[0]!.message).toContain(JSON.stringify(value));
      for (const t of ['users', 'api_keys', 'collections', 'collection_sources', 'operations', 'documents', 'sqlite_import_runs']) expect(await rowCount(target.database.db, t)).toBe(0);
    });
  }
});

describe('migrate-sqlite: a refusal found mid-table during a bulk load', () => {
  it('undoes the rows and rebuilds the dropped indexes and foreign keys', async () => {
    const file = collectionsFile('late-problem.db', (db) => {
      writeLargeRows(db, 30_000, { collections: 3, metricsPerOperation: 1 });
      db.prepare(`UPDATE documents SET status = 'ARCHIVED' WHERE rowid = (SELECT max(rowid) FROM documents)`).run();
    });
    const target = await freshTarget();
    const db = target.database.db;
    const schemaOf = async () =>
      (await sql<{ name: string }>`
        SELECT indexname AS name FROM pg_indexes WHERE tablename = 'documents'
        UNION ALL SELECT conname FROM pg_constraint WHERE conrelid = 'documents'::regclass ORDER BY 1`.execute(db)).rows.map((r) => r.name);
    const before = await schemaOf();
    const report = await migrateSqlite({ source: file, database: target.database, batchSize: 5_000 });
    expect(report.exitCode).toBe(1);
    expect(report.runId).toBeNull();
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unknown-enum', table: 'documents', column: 'status' })]);
    // The full report still counts every row (the rest of the file was read, not written).
    expect(report.tables.find((t) => t.table === 'documents')).toMatchObject({ sourceRows: 30_000, rows: 29_999 });
    for (const t of ['users', 'collections', 'documents', 'sqlite_import_runs']) expect(await rowCount(db, t)).toBe(0);
    expect(await schemaOf()).toEqual(before);
  });
});

describe('migrate-sqlite: job-era values', () => {
  function jobsFile(name: string, fill: (db: LegacyDb) => void): string {
    const file = path.join(workspace.dir, name);
    const db = createJobsEraFile(file, 'A');
    writeJobsEraScenario(db);
    fill(db);
    db.close();
    return file;
  }

  it('NULL mode/status/counters take the column defaults, and every job status the era wrote maps', async () => {
    const file = jobsFile('jobs-values.db', (db) => {
      db.prepare(`UPDATE jobs SET mode = NULL, quantization = NULL, batch_size = NULL WHERE id = ?`).run(JOB_IDS.papers);
      db.prepare(`UPDATE jobs SET status = 'running' WHERE id = ?`).run(JOB_IDS.shared);
      db.prepare(`UPDATE jobs SET status = 'scanning' WHERE id = ?`).run(JOB_IDS.blankName);
      db.prepare(`UPDATE jobs SET status = 'cancelled' WHERE id = ?`).run(JOB_IDS.untitled);
      db.prepare(`UPDATE files SET status = NULL, chunks_created = NULL, vectors_created = NULL WHERE path = '/data/papers/a.pdf'`).run();
      db.prepare(`UPDATE files SET status = 'processing' WHERE path = '/data/blank/x.txt'`).run();
    });
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.problems).toEqual([]);
    expect(report.verification.ok).toBe(true);
    const db = target.database.db;
    const papers = await db.selectFrom('collections').selectAll().where('name', '=', 'Research papers').executeTakeFirstOrThrow();
    expect(papers.quantization).toBe('float32');
    const ops = await db.selectFrom('operations').select(['type', 'status', 'metadata']).execute();
    expect(ops.filter((o) => o.type === 'index').length).toBe(6);
    expect(ops.filter((o) => (o.metadata as { legacy: { status: string } }).legacy.status === 'running').map((o) => o.status)).toEqual(['cancelled']);
    const statuses = await db.selectFrom('documents').select(['file_path', 'status', 'chunk_count']).execute();
    expect(statuses.find((d) => d.file_path === '/data/blank/x.txt')?.status).toBe('processing');
  });

  it('refuses a job mode the era never wrote, with nothing written', async () => {
    const file = jobsFile('jobs-bad-mode.db', (db) => db.prepare(`UPDATE jobs SET mode = 'merge' WHERE id = ?`).run(JOB_IDS.papersAppend));
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.exitCode).toBe(1);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unknown-enum', table: 'jobs', column: 'mode', rowId: JOB_IDS.papersAppend })]);
    expect(await rowCount(target.database.db, 'users')).toBe(0);
  });
});
