import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  collectionsEraDdlMatchesContract,
  createCollectionsEraFile,
  EDGE_IDS,
  writeEdgeCaseRows,
  writeLargeRows,
  writeOrphanRows,
} from '../../test/support/legacy-sqlite-fixtures.js';
import { createEmbeddedTestDatabase, testWorkspace } from '../../test/support/test-databases.js';
import { REINDEX_STATUS_MESSAGE } from './collections-era.transformer.js';
import { dropForBulkLoad } from './deferred-constraints.js';
import { migrateSqlite, SqliteMigrationError } from './migrate-sqlite.service.js';
import { legacyIdToUuid } from './value-converters.js';

const workspace = testWorkspace('semantik-migrate-');
const freshTarget = workspace.serverDatabase;

function legacyFile(name: string, fill: (db: BetterSqlite3.Database) => void = () => {}): string {
  const file = path.join(workspace.dir, name);
  const db = createCollectionsEraFile(file);
  fill(db);
  db.close();
  return file;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('migrate-sqlite: collections era', () => {
  it('the fixture uses the contract DDL verbatim', () => {
    expect([true, 'contract file not present']).toContain(collectionsEraDdlMatchesContract());
  });

  it('migrates an empty file and verifies it', async () => {
    const target = await freshTarget();
    const report = await migrateSqlite({ source: legacyFile('empty.db'), database: target.database });
    expect(report.format.format).toBe('collections-era');
    expect(report.exitCode).toBe(0);
    expect(report.verification).toMatchObject({ checked: true, ok: true });
    expect(report.tables.map((t) => t.table)).toEqual([
      'users', 'refresh_tokens', 'api_keys', 'collections', 'collection_sources', 'collection_permissions',
      'collection_resource_limits', 'operations', 'operation_metrics', 'collection_audit_log', 'documents',
    ]);
    expect(report.tables.every((t) => t.rows === 0 && t.verified)).toBe(true);
  });

  it('grants imported non-admin owners exactly the folders their collections index (a legacy install had no per-user roots)', async () => {
    const file = legacyFile('owners.db', (db) => writeLargeRows(db, 12, { collections: 3, metricsPerOperation: 1 }));
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.exitCode).toBe(0);
    const db = target.database.db;
    const { rows: owners } = await sql<{ id: number; paths: string[] }>`
      SELECT c.owner_id AS id, array_agg(DISTINCT s.source_path ORDER BY s.source_path) AS paths
      FROM collections c JOIN collection_sources s ON s.collection_id = c.id JOIN users u ON u.id = c.owner_id
      WHERE NOT u.is_superuser GROUP BY c.owner_id`.execute(db);
    expect(owners.length).toBeGreaterThan(0);
    for (const owner of owners) {
      const row = await db.selectFrom('users').select('document_roots').where('id', '=', owner.id).executeTakeFirstOrThrow();
      expect(row.document_roots).toEqual(owner.paths);
    }
    // Admins keep the global roots (NULL).
    const adminsWithRoots = await db.selectFrom('users').select('username').where('document_roots', 'is not', null).where('is_superuser', '=', true).execute();
    expect(adminsWithRoots).toEqual([]);
    expect(report.grantedDocumentRoots).toHaveLength(owners.length);
  });

  it('migrates every edge case, verifies it, and leaves the source byte-for-byte unchanged', async () => {
    const file = legacyFile('edge.db', writeEdgeCaseRows);
    const before = sha256(file);
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database, batchSize: 3 });

    expect(report.problems).toEqual([]);
    expect(report.verification.failures).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(sha256(file)).toBe(before);
    const counts = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    expect(counts).toMatchObject({ users: 3, refresh_tokens: 2, api_keys: 2, collections: 5, collection_sources: 2, collection_permissions: 3, collection_resource_limits: 2, operations: 5, operation_metrics: 7, documents: 8, collection_audit_log: 4 });

    const db = target.database.db;
    const bob = await db.selectFrom('users').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
    expect(bob).toMatchObject({ username: 'bob\ttab', is_active: true, full_name: null, last_login: null });
    expect(bob.updated_at.toISOString()).toBe(bob.created_at.toISOString());
    const { rows: micro } = await sql<{ t: string }>`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t FROM users WHERE id = 7`.execute(db);
    expect(micro[0]!.t).toBe('2020-02-29 12:00:00.000001');
    expect(report.decisions.find((d) => d.kind === 'users-is-active-default')?.count).toBe(1);


    const derivedCollection = legacyIdToUuid('collections', EDGE_IDS.collectionNonUuid).uuid;
    const collections = await db.selectFrom('collections').selectAll().orderBy('name').execute();
    expect(collections.every((c) => c.needs_reindex && c.status === 'pending' && c.status_message === REINDEX_STATUS_MESSAGE)).toBe(true);
    const first = collections.find((c) => c.id === EDGE_IDS.collectionReady)!;
    expect(first.metadata).toMatchObject({ num_float: 1, emoji: '🚀', legacy: { status: 'pending', qdrant_collections: ['col_0_a', 'col_0_b'], vector_count: 42 } });
    expect(first.total_size_bytes).toBe(5_000_000_000);
    expect(collections.find((c) => c.id === derivedCollection)?.metadata).toMatchObject({ legacy: { status: 'ready' } });
    expect(report.decisions.find((d) => d.kind === 'derived-uuid')?.examples.join(' ')).toContain(EDGE_IDS.collectionNonUuid);
    expect(collections.find((c) => c.name === 'collection 2')?.metadata).toEqual({ legacy: { meta: [1, 'two', 3], status: 'processing', vector_count: 44 } });

    const perms = await db.selectFrom('collection_permissions').select(['permission', 'api_key_id']).orderBy('id').execute();
    expect(perms.map((p) => p.permission)).toEqual(['read', 'write', 'admin']);
    expect(perms[2]!.api_key_id).toBe(legacyIdToUuid('api_keys', EDGE_IDS.apiKeyNonUuid).uuid);

    const ops = await db.selectFrom('operations').select(['id', 'type', 'status', 'metadata']).orderBy('created_at').orderBy('type').execute();
    expect(ops.map((o) => o.type).sort()).toEqual(['append', 'delete', 'index', 'reindex', 'remove_source']);
    expect(ops.filter((o) => o.status === 'cancelled').length).toBe(3);
    expect(ops.find((o) => o.type === 'remove_source')?.metadata).toMatchObject({ legacy: { id: 4, status: 'pending' } });
    const { rows: metrics } = await sql<{ name: string; v: string; op: string }>`
      SELECT m.metric_name AS name, m.metric_value::text AS v, m.operation_id::text AS op FROM operation_metrics m ORDER BY m.id`.execute(db);
    expect(metrics.map((m) => m.v)).toEqual(['12.5', '3', '1e+20', '1.5e-07', '0', '0.30000000000000004', '1.2345678901234568e+16']);
    expect(metrics[6]!.op).toBe(legacyIdToUuid('operations', 'not-a-uuid-op').uuid);

    const audit = await db.selectFrom('collection_audit_log').select(['operation_id', 'user_id']).orderBy('id').execute();
    expect(audit[0]!.operation_id).toBe(EDGE_IDS.operationUuid(1));
    expect(audit[3]!.user_id).toBeNull();

    const docs = await db.selectFrom('documents').selectAll().orderBy('file_path').execute();
    expect(docs.map((d) => d.status).sort()).toEqual(['completed', 'completed', 'failed', 'failed', 'pending', 'pending', 'processing', 'processing']);
    expect(docs.find((d) => d.file_name === 'tab\tand\\back.txt')?.error_message?.length).toBeGreaterThan(100_000);
    expect(docs.find((d) => d.file_size === 5 * 1024 ** 3)).toBeDefined();
    expect(docs.find((d) => d.content_hash === 'hash-2')?.metadata).toEqual({ legacy: { meta: 'just a string' } });

    // Identity sequences moved past the copied ids: the next user gets id 8, not 1.
    const inserted = await db.insertInto('users').values({ username: 'new', email: 'new@example.test', hashed_password: 'x' }).returning('id').executeTakeFirstOrThrow();
    expect(inserted.id).toBe(8);
    expect(report.reindex.collections).toBe(5);
  });

  it('dry run writes nothing and counts what the real run writes', async () => {
    const file = legacyFile('dry.db', writeEdgeCaseRows);
    const target = await freshTarget();
    const dry = await migrateSqlite({ source: file, database: target.database, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.exitCode).toBe(0);
    const { rows } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM collections) + (SELECT count(*) FROM documents)
           + (SELECT count(*) FROM sqlite_import_runs) AS n`.execute(target.database.db);
    expect(Number(rows[0]!.n)).toBe(0);

    const real = await migrateSqlite({ source: file, database: target.database });
    expect(real.exitCode).toBe(0);
    expect(real.tables.map((t) => [t.table, t.rows])).toEqual(dry.tables.map((t) => [t.table, t.rows]));
    expect(real.tables.map((t) => t.expected)).toEqual(dry.tables.map((t) => t.expected));
  });

  it('copies a chunks table when the source has one (text kept, embeddings rebuilt by the reindex)', async () => {
    const file = legacyFile('chunks.db', (db) => {
      writeEdgeCaseRows(db);
      db.exec(`CREATE TABLE chunks (id VARCHAR NOT NULL PRIMARY KEY, collection_id VARCHAR NOT NULL, document_id VARCHAR NOT NULL,
        chunk_index INTEGER NOT NULL, content TEXT NOT NULL, start_char INTEGER, end_char INTEGER, meta JSON, created_at DATETIME NOT NULL)`);
      const insertChunk = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      insertChunk.run('c1000000-0000-4000-8000-000000000001', EDGE_IDS.collectionReady, EDGE_IDS.documentUuid(1), 0, 'first chunk 😀', 0, 14, '{"page": 1}', '2024-01-01 00:00:00');
      insertChunk.run('chunk-legacy-2', EDGE_IDS.collectionReady, EDGE_IDS.documentUuid(1), 1, 'second\tchunk', 14, 27, null, '2024-01-01 00:00:00.5');
    });
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.verification.failures).toEqual([]);
    expect(report.tables.at(-1)).toMatchObject({ table: 'chunks', rows: 2, verified: true });
    const chunks = await target.database.db.selectFrom('chunks').select(['text', 'start_offset', 'metadata', 'generation']).orderBy('chunk_index').execute();
    expect(chunks).toEqual([
      { text: 'first chunk 😀', start_offset: 0, metadata: { page: 1 }, generation: 1 },
      { text: 'second\tchunk', start_offset: 14, metadata: {}, generation: 1 },
    ]);
  });

  it('lists tables that are not part of the format instead of dropping them silently', async () => {
    const file = legacyFile('extra.db', (db) => {
      db.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, name TEXT); INSERT INTO jobs VALUES ('j1', 'left over')`);
    });
    const report = await migrateSqlite({ source: file, dryRun: true });
    expect(report.format.extraTables).toEqual(['jobs']);
    expect(report.decisions.find((d) => d.kind === 'extra-table')).toMatchObject({ count: 1, examples: ['jobs (1 rows)'] });
  });

  it('migrates into embedded PGlite through the same COPY path', async () => {
    const target = workspace.track(await createEmbeddedTestDatabase());
    const report = await migrateSqlite({ source: legacyFile('embedded.db', writeEdgeCaseRows), database: target.database, batchSize: 4 });
    expect(report.verification.failures).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('stops on orphans before writing anything, and --skip-orphans copies the rest', async () => {
    const file = legacyFile('orphans.db', (db) => {
      writeEdgeCaseRows(db);
      writeOrphanRows(db);
    });
    const target = await freshTarget();
    const stopped = await migrateSqlite({ source: file, database: target.database });
    expect(stopped.exitCode).toBe(1);
    expect(stopped.runId).toBeNull();
    const orphans = stopped.problems.filter((p) => p.kind === 'orphan');
    expect(orphans.map((p) => `${p.table}:${p.rowId}:${p.column}`).sort()).toEqual([
      'collection_sources:50:collection_id',
      'collections:f0000000-0000-4000-8000-000000000009:owner_id',
      'documents:e0c00000-0000-4000-8000-000000000001:collection_id',
      'operation_metrics:99:operation_id',
    ]);
    expect((await target.database.db.selectFrom('users').select('id').execute()).length).toBe(0);

    const skipped = await migrateSqlite({ source: file, database: target.database, skipOrphans: true });
    expect(skipped.exitCode).toBe(0);
    expect(skipped.skippedOrphans).toEqual({ collections: 1, collection_sources: 1, documents: 1, operation_metrics: 1 });
    expect(skipped.tables.find((t) => t.table === 'documents')).toMatchObject({ sourceRows: 9, rows: 8, skipped: 1, verified: true });
  });

  it('reports invalid JSON and unknown enum values with table and row id, and writes nothing', async () => {
    const file = legacyFile('bad-values.db', (db) => {
      writeEdgeCaseRows(db);
      db.prepare(`UPDATE documents SET meta = '{"broken": tru' WHERE id = ?`).run(EDGE_IDS.documentUuid(3));
      // A value the original never wrote (DELETED is known: see legacy-values.spec.ts).
      db.prepare(`UPDATE documents SET status = 'ARCHIVED' WHERE id = ?`).run(EDGE_IDS.documentUuid(5));
      db.prepare(`UPDATE users SET created_at = 'last tuesday' WHERE id = 7`).run();
    });
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database });
    expect(report.exitCode).toBe(1);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'invalid-json', table: 'documents', rowId: EDGE_IDS.documentUuid(3), column: 'meta' }),
        expect.objectContaining({ kind: 'unknown-enum', table: 'documents', rowId: EDGE_IDS.documentUuid(5), column: 'status' }),
        expect.objectContaining({ kind: 'invalid-value', table: 'users', rowId: '7', column: 'created_at' }),
      ]),
    );
    expect(report.runId).toBeNull();
  });

  it('refuses a non-empty target unless --truncate-target', async () => {
    const file = legacyFile('twice.db', writeEdgeCaseRows);
    const target = await freshTarget();
    expect((await migrateSqlite({ source: file, database: target.database })).exitCode).toBe(0);
    await expect(migrateSqlite({ source: file, database: target.database })).rejects.toThrow(/not empty .*already imported completely/s);
    const again = await migrateSqlite({ source: file, database: target.database, truncateTarget: true });
    expect(again.exitCode).toBe(0);
  });

  it('--resume after a kill between a bulk load\'s last rows and its rebuild: rebuilds, copies nothing again, verifies', async () => {
    const file = legacyFile('rebuild.db', writeEdgeCaseRows);
    const target = await freshTarget();
    const db = target.database.db;
    const first = await migrateSqlite({ source: file, database: target.database });
    expect(first.exitCode).toBe(0);
    const definitions = async () =>
      (await sql<{ d: string }>`
        SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index WHERE indrelid = 'documents'::regclass
        UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'documents'::regclass ORDER BY 1`.execute(db)).rows.map((r) => r.d);
    const before = await definitions();
    // The state such a kill leaves: every row committed, the table not done, what was dropped recorded.
    const rows = first.tables.find((t) => t.table === 'documents')!.rows;
    const source = new BetterSqlite3(file, { readonly: true });
    const lastKey = (source.prepare('SELECT max(rowid) AS k FROM documents').get() as { k: number }).k;
    source.close();
    await db.transaction().execute(async (tx) => {
      const deferred = await dropForBulkLoad(tx, 'documents');
      expect(deferred.indexes.length + deferred.foreignKeys.length).toBeGreaterThan(2);
      await sql`UPDATE sqlite_import_runs SET status = 'failed',
        progress = jsonb_set(progress, '{documents}', ${JSON.stringify({ lastKey, rows, done: false, deferred })}::jsonb)`.execute(tx);
    });
    expect((await definitions()).length).toBeLessThan(before.length);

    const resumed = await migrateSqlite({ source: file, database: target.database, resume: true });
    expect(resumed.verification).toEqual({ checked: true, ok: true, failures: [] });
    expect(resumed.tables.find((t) => t.table === 'documents')).toMatchObject({ copiedThisRun: 0, rows, verified: true });
    expect(await definitions()).toEqual(before);
    const { rows: runs } = await sql<{ status: string; done: boolean; deferred: unknown }>`
      SELECT status, (progress -> 'documents' ->> 'done')::boolean AS done, progress -> 'documents' -> 'deferred' AS deferred FROM sqlite_import_runs`.execute(db);
    expect(runs).toEqual([{ status: 'completed', done: true, deferred: null }]);
  });

  it('accepts a target URL and runs the schema migrations on an empty database', async () => {
    const { createEmptyServerDatabase } = await import('../../test/support/test-databases.js');
    const empty = await createEmptyServerDatabase();
    try {
      const { testConfig } = await import('../../test/support/test-databases.js');
      const report = await migrateSqlite({ source: legacyFile('url.db', writeEdgeCaseRows), target: empty.url, config: testConfig() });
      expect(report.exitCode).toBe(0);
      expect(report.target).toContain('127.0.0.1');
    } finally {
      await empty.dispose();
    }
  });
});

describe('migrate-sqlite: bad sources', () => {
  it('names a non-SQLite file', async () => {
    const file = path.join(workspace.dir, 'notes.txt');
    fs.writeFileSync(file, 'hello, this is not a database\n'.repeat(100));
    await expect(migrateSqlite({ source: file, dryRun: true })).rejects.toThrow(/notes\.txt is not a SQLite database \(its first bytes are "hello, this is n"/);
    const empty = path.join(workspace.dir, 'empty-file.db');
    fs.writeFileSync(empty, '');
    await expect(migrateSqlite({ source: empty, dryRun: true })).rejects.toThrow(/is not a SQLite database \(the file is empty\)/);
    await expect(migrateSqlite({ source: path.join(workspace.dir, 'missing.db'), dryRun: true })).rejects.toThrow(/does not exist/);
  });

  it('names a corrupt SQLite file', async () => {
    const file = legacyFile('corrupt.db', writeEdgeCaseRows);
    const bytes = fs.readFileSync(file);
    // Keep the header, scribble over the pages (the schema page included).
    for (let i = 100; i < bytes.length; i += 7) bytes[i] = 0xa5;
    fs.writeFileSync(file, bytes);
    await expect(migrateSqlite({ source: file, dryRun: true })).rejects.toThrow(SqliteMigrationError);
    await expect(migrateSqlite({ source: file, dryRun: true })).rejects.toThrow(/corrupt/);
  });

  it('names what it found in a SQLite file that is not Semantik, and a wrong collections schema', async () => {
    const other = path.join(workspace.dir, 'other.db');
    const db = new BetterSqlite3(other);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY); CREATE TABLE customers (id INTEGER PRIMARY KEY)');
    db.close();
    await expect(migrateSqlite({ source: other, dryRun: true })).rejects.toThrow(/not a Semantik database: found tables customers, invoices; expected users, collections/);

    const wrong = path.join(workspace.dir, 'wrong.db');
    const w = new BetterSqlite3(wrong);
    w.exec('CREATE TABLE users (id INTEGER, username TEXT); CREATE TABLE collections (id TEXT); CREATE TABLE operations (id INTEGER); CREATE TABLE documents (id TEXT)');
    w.close();
    await expect(migrateSqlite({ source: wrong, dryRun: true })).rejects.toThrow(/collections-era Semantik database but its schema is different: missing users\.email/);
  });

  for (const mode of ['DELETE', 'WAL'] as const) {
    it(`refuses a file another connection is writing (${mode} journal)`, async () => {
      const file = legacyFile(`locked-${mode}.db`, writeEdgeCaseRows);
      const writer = new BetterSqlite3(file);
      writer.pragma(`journal_mode = ${mode}`);
      writer.exec('BEGIN IMMEDIATE');
      writer.prepare(`UPDATE users SET full_name = 'changing' WHERE id = 1`).run();
      try {
        await expect(migrateSqlite({ source: file, dryRun: true })).rejects.toThrow(/is being written by another process \(it holds the SQLite write lock\)/);
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
      }
      const report = await migrateSqlite({ source: file, dryRun: true });
      expect(report.exitCode).toBe(0);
    });
  }
});
