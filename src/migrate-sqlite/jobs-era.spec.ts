import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ALICE_PASSWORD, createJobsEraFile, JOB_IDS, type JobsEraVariant, writeJobsEraBulk, writeJobsEraScenario } from '../../test/support/legacy-jobs-era-fixtures.js';
import { testWorkspace } from '../../test/support/test-databases.js';
import { migrateSqlite } from './migrate-sqlite.service.js';
import { reindexCollections } from './reindex.service.js';
import { legacyIdToUuid } from './value-converters.js';

const workspace = testWorkspace('semantik-jobs-era-');
const freshTarget = workspace.serverDatabase;

function scenarioFile(variant: JobsEraVariant): string {
  const file = path.join(workspace.dir, `webui-${variant}.db`);
  const db = createJobsEraFile(file, variant);
  writeJobsEraScenario(db);
  db.close();
  return file;
}

const EXPECTED_FORMAT: Record<JobsEraVariant, string> = { A: 'jobs-era-a', B: 'jobs-era-b', 'B-old': 'jobs-era-b' };

describe.each(['A', 'B', 'B-old'] as const)('migrate-sqlite: job era, variant %s', (variant) => {
  it('detects the variant, imports it, and every source row is accounted for', async () => {
    const file = scenarioFile(variant);
    const target = await freshTarget();
    const dry = await migrateSqlite({ source: file, database: target.database, dryRun: true });
    const report = await migrateSqlite({ source: file, database: target.database, batchSize: 4 });

    expect(report.format.format).toBe(EXPECTED_FORMAT[variant]);
    expect(report.format.description).toContain(variant === 'A' ? 'variant A' : 'variant B');
    if (variant === 'B-old') expect(report.format.missingColumns).toEqual({ jobs: ['vector_dim', 'quantization', 'instruction', 'start_time', 'user_id', 'parent_job_id', 'mode'], files: ['doc_id', 'content_hash'] });
    expect(report.problems).toEqual([]);
    expect(report.verification).toEqual({ checked: true, ok: true, failures: [] });
    expect(report.exitCode).toBe(0);
    // The dry run reports the same thing without writing it.
    expect(dry.reconciliation).toEqual(report.reconciliation);
    expect(dry.decisions).toEqual(report.decisions);
    expect(dry.tables.map((t) => t.expected)).toEqual(report.tables.map((t) => t.expected));

    const recon = Object.fromEntries(report.reconciliation.map((r) => [r.sourceTable, r]));
    expect(report.reconciliation.every((r) => r.balanced)).toBe(true);
    expect(recon['users']).toMatchObject({ sourceRows: 3, outcomes: { 'imported (same id)': 3 } });
    expect(recon['jobs']).toMatchObject({ sourceRows: 8, outcomes: { 'imported as operations': 8 } });
    expect(recon['refresh_tokens']).toMatchObject({ sourceRows: 2, outcomes: { 'not imported (users log in again)': 2 } });
    const dedup = variant !== 'B-old'; // an old file has no content hashes: nothing can be merged
    expect(recon['files']!.outcomes).toEqual({
      'imported as a document': dedup ? 12 : 14,
      'not imported: job_id points at a missing job': 1,
      ...(dedup ? { 'merged into the newest copy (same content, same collection)': 2 } : {}),
    });

    // The target holds exactly what the reconciliation says.
    const db = target.database.db;
    const count = async (table: 'users' | 'operations' | 'documents' | 'refresh_tokens' | 'collections') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('users')).toBe(3);
    expect(await count('operations')).toBe(8);
    expect(await count('documents')).toBe(recon['files']!.outcomes['imported as a document']);
    expect(await count('refresh_tokens')).toBe(0);

    // Old bcrypt hashes are kept unchanged (the login upgrades them); the first user is superuser.
    const alice = await db.selectFrom('users').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    expect(alice.is_superuser).toBe(true);
    expect(alice.hashed_password.startsWith('$2')).toBe(true);
    expect(bcrypt.compareSync(ALICE_PASSWORD, alice.hashed_password)).toBe(true);
    expect((await db.selectFrom('users').select('username').where('id', '=', 3).executeTakeFirstOrThrow()).username).toBe('Alice-3');

    const collections = await db.selectFrom('collections').selectAll().orderBy('name').execute();
    expect(collections.map((c) => c.name)).toEqual(['In flight', 'Research papers', 'Shared notes', 'Stray owner', 'Untitled', 'Untitled (imported)']);
    expect(collections.every((c) => c.needs_reindex && c.status === 'pending' && /reindex/.test(c.status_message ?? ''))).toBe(true);
    const byName = Object.fromEntries(collections.map((c) => [c.name, c]));
    expect(byName['Shared notes']).toMatchObject({ owner_id: 1, is_public: true, chunk_size: 600, chunk_overlap: 200 });
    expect(byName['Stray owner']!.owner_id).toBe(1);
    if (variant !== 'B-old') {
      expect(byName['Research papers']).toMatchObject({ owner_id: 1, is_public: false, embedding_dimension: 1024 });
      expect(byName['In flight']!.owner_id).toBe(2);
    }

    const papers = byName['Research papers']!;
    const sources = await db.selectFrom('collection_sources').select(['source_path', 'document_count']).where('collection_id', '=', papers.id).orderBy('source_path').execute();
    expect(sources.map((s) => s.source_path)).toEqual(['/data/papers', '/data/papers-2']);
    const docs = await db.selectFrom('documents').selectAll().where('collection_id', '=', papers.id).orderBy('file_path').execute();
    expect(papers.document_count).toBe(docs.length);
    expect(docs.find((d) => d.file_name === 'huge.iso')?.file_size).toBe(5 * 1024 ** 3 + 7);
    if (dedup) {
      // a.pdf and a-again.pdf share content: the newer (append job) copy is kept and lists the other.
      expect(docs.map((d) => d.file_name)).not.toContain('a.pdf');
      const kept = docs.find((d) => d.file_name === 'a-again.pdf')!;
      expect(kept.metadata).toMatchObject({ legacy: { duplicates: [{ path: '/data/papers/a.pdf', job_id: JOB_IDS.papers }] } });
      expect(docs.find((d) => d.file_name === 'link.txt')?.content_hash).toMatch(/^symlink:/);
    }
    expect(docs.find((d) => d.file_name === 'no-hash.txt')?.content_hash).toMatch(/^path-sha256:[0-9a-f]{64}$/);
    const otherCollection = await db.selectFrom('documents').select('file_name').where('collection_id', '=', byName['Shared notes']!.id).execute();
    expect(otherCollection.map((d) => d.file_name)).toEqual(['a-elsewhere.pdf']);

    const ops = await db.selectFrom('operations').selectAll().execute();
    const op = (jobId: string) => ops.find((o) => o.id === legacyIdToUuid('jobs', jobId).uuid)!;
    expect(op(JOB_IDS.papers)).toMatchObject({ type: 'index', status: 'completed', collection_id: papers.id });
    expect(op(JOB_IDS.inFlight)).toMatchObject({ status: 'cancelled', metadata: { legacy: { status: 'created' } } });
    expect(op(JOB_IDS.strayOwner)).toMatchObject({ status: 'failed', error_message: 'Qdrant unavailable', user_id: null });
    if (variant !== 'B-old') expect(op(JOB_IDS.papersAppend)).toMatchObject({ type: 'append', collection_id: papers.id });
    // Offset timestamps are converted to UTC; naive ones are taken as UTC.
    expect(op(JOB_IDS.shared).created_at.toISOString()).toBe('2023-04-01T00:00:00.000Z');
    if (variant !== 'B-old') expect(op(JOB_IDS.papersAppend).created_at.toISOString()).toBe('2023-03-01T10:00:00.500Z');

    const kinds = report.decisions.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['first-user-superuser', 'collections-created', 'collection-name-collision', 'file-dangling-job', 'file-null-hash', 'refresh-tokens-skipped', 'owner-null']));
    if (dedup) expect(kinds).toEqual(expect.arrayContaining(['file-duplicate', 'file-symlink-hash', 'owner-dangling', 'job-user-dangling', 'dangling-parent-job']));
    expect(report.reindex.collections).toBe(6);
  });
});

describe('migrate-sqlite: job era at volume', () => {
  it('imports 30,000 files in batches with de-duplication across append jobs', async () => {
    const file = path.join(workspace.dir, 'bulk.db');
    const db = createJobsEraFile(file, 'B');
    writeJobsEraBulk(db, 30_000);
    db.close();
    const target = await freshTarget();
    const report = await migrateSqlite({ source: file, database: target.database, batchSize: 5_000 });
    expect(report.exitCode).toBe(0);
    const files = report.reconciliation.find((r) => r.sourceTable === 'files')!;
    // 10% repeat the previous file's content; file 1 has no previous file, hence 2,999.
    expect(files).toMatchObject({ sourceRows: 30_000, balanced: true, outcomes: { 'imported as a document': 27_001, 'merged into the newest copy (same content, same collection)': 2_999 } });
    expect(report.tables.find((t) => t.table === 'documents')).toMatchObject({ rows: 27_001, verified: true });
  });
});

describe('semantik reindex after a job-era import', () => {
  it('queues a reindex for collections whose folders are reachable and reports the others', async () => {
    const target = await freshTarget();
    expect((await migrateSqlite({ source: scenarioFile('A'), database: target.database })).exitCode).toBe(0);
    const root = fs.mkdtempSync(path.join(workspace.dir, 'roots-'));
    const notes = path.join(root, 'notes');
    fs.mkdirSync(notes);
    const db = target.database.db;
    const shared = await db.selectFrom('collections').select('id').where('name', '=', 'Shared notes').executeTakeFirstOrThrow();
    await sql`UPDATE collection_sources SET source_path = ${notes} WHERE collection_id = ${shared.id}`.execute(db);

    const first = await reindexCollections(target.database, [root]);
    expect(first.queued.map((q) => q.name)).toEqual(['Shared notes']);
    expect(first.unreachable.map((u) => u.name).sort()).toEqual(['In flight', 'Research papers', 'Stray owner', 'Untitled', 'Untitled (imported)']);
    expect(first.unreachable.find((u) => u.name === 'Research papers')?.reasons.join(' ')).toMatch(/\/data\/papers.*does not exist/);
    const op = await db.selectFrom('operations').selectAll().where('id', '=', first.queued[0]!.operationId).executeTakeFirstOrThrow();
    expect(op).toMatchObject({ type: 'reindex', status: 'pending', collection_id: shared.id, user_id: 1 });
    // Queued through the API's reindexCollection: its settings and its audit row, marked as from the CLI.
    expect(Object.keys(op.config as object).sort()).toEqual(['chunk_overlap', 'chunk_size', 'embedding_model']);
    const audit = await db.selectFrom('collection_audit_log').selectAll().where('operation_id', '=', op.id).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: 'reindex_requested', user_id: 1, user_agent: 'semantik reindex (CLI)' });

    // While that operation is active, a second run reports the collection as busy instead of failing.
    const second = await reindexCollections(target.database, [root]);
    expect(second.queued).toEqual([]);
    expect(second.busy.map((b) => b.name)).toEqual(['Shared notes']);
  });
});
