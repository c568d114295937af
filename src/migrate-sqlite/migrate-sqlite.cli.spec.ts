import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createCollectionsEraFile, writeEdgeCaseRows, writeLargeRows, writeOrphanRows } from '../../test/support/legacy-sqlite-fixtures.js';
import { testWorkspace } from '../../test/support/test-databases.js';
import { migrateSqlite } from './migrate-sqlite.service.js';

// The slow file of this capability: a ≥ 200,000-document source, copied by the real CLI in a child
// process that is killed mid-table, then resumed to a verified result; plus the CLI's exit codes.
const BIN = path.resolve(import.meta.dirname, '../../bin/semantik.js');
const LARGE_DOCUMENTS = 200_000;

const workspace = testWorkspace('semantik-migrate-cli-');

function runCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', SEMANTIK_FROM_SOURCE: '1', DATABASE_URL: '', SEMANTIK_DATA_DIR: path.join(workspace.dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const target = workspace.serverDatabase;

describe('semantik migrate-sqlite (CLI)', () => {
  it(`copies ${LARGE_DOCUMENTS.toLocaleString('en-US')} documents, survives being killed mid-table, and --resume finishes verified`, async () => {
    const file = path.join(workspace.dir, 'large.db');
    const legacy = createCollectionsEraFile(file);
    writeLargeRows(legacy, LARGE_DOCUMENTS);
    legacy.close();
    const db = await target();
    const indexNames = async () =>
      (await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'documents' ORDER BY 1`.execute(db.database.db)).rows.map((r) => r.name);
    const foreignKeyNames = async () =>
      (await sql<{ name: string }>`SELECT conname AS name FROM pg_constraint WHERE conrelid = 'documents'::regclass AND contype = 'f' ORDER BY 1`.execute(db.database.db)).rows.map((r) => r.name);
    const indexesBefore = await indexNames();
    const foreignKeysBefore = await foreignKeyNames();
    expect(indexesBefore.length).toBeGreaterThan(2);

    const { child, done } = runCli(['migrate-sqlite', '--source', file, '--target', db.url!, '--batch-size', '5000', '--json']);
    // Kill the process (SIGKILL: no cleanup) once some, but not all, document batches are committed.
    let committedBeforeKill = 0;
    for (let i = 0; i < 1200 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const { rows } = await sql<{ rows: number | null }>`
        SELECT (progress -> 'documents' ->> 'rows')::int AS rows FROM sqlite_import_runs ORDER BY id DESC LIMIT 1`
        .execute(db.database.db)
        .catch(() => ({ rows: [] as Array<{ rows: number | null }> }));
      committedBeforeKill = rows[0]?.rows ?? 0;
      if (committedBeforeKill > 0) {
        child.kill('SIGKILL');
        break;
      }
    }
    const killed = await done;
    expect(killed.code, killed.stderr).toBeNull(); // killed by the signal, not exited
    expect(committedBeforeKill).toBeGreaterThan(0);
    expect(committedBeforeKill).toBeLessThan(LARGE_DOCUMENTS);

    // The killed run was bulk-loading documents: its secondary indexes and foreign keys are dropped
    // and recorded in the run, to be rebuilt by the resumed run.
    expect(await indexNames()).toEqual(['documents_collection_content_hash_key', 'documents_pkey']);
    expect(await foreignKeyNames()).toEqual([]);

    // Without --resume the half-filled target is refused, pointing at --resume.
    await expect(migrateSqlite({ source: file, database: db.database })).rejects.toThrow(/interrupted import.*--resume/s);

    const resumed = await migrateSqlite({ source: file, database: db.database, resume: true, batchSize: 20_000 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.verification).toEqual({ checked: true, ok: true, failures: [] });
    expect(resumed.exitCode).toBe(0);
    const documents = resumed.tables.find((t) => t.table === 'documents')!;
    expect(documents).toMatchObject({ rows: LARGE_DOCUMENTS, verified: true });
    expect(documents.actual!.rows).toBe(LARGE_DOCUMENTS);
    // Exactly once: this run copied only what the killed one had not committed.
    expect(documents.copiedThisRun).toBeLessThanOrEqual(LARGE_DOCUMENTS - committedBeforeKill);
    const { rows: runs } = await sql<{ status: string }>`SELECT status FROM sqlite_import_runs`.execute(db.database.db);
    expect(runs.map((r) => r.status)).toEqual(['completed']);
    expect(await indexNames()).toEqual(indexesBefore);
    expect(await foreignKeyNames()).toEqual(foreignKeysBefore);
  });

  it('prints the JSON report and exits 0 when verified, 1 on orphans, 2 on bad flags', async () => {
    const good = path.join(workspace.dir, 'good.db');
    const g = createCollectionsEraFile(good);
    writeEdgeCaseRows(g);
    g.close();
    const bad = path.join(workspace.dir, 'bad.db');
    const b = createCollectionsEraFile(bad);
    writeEdgeCaseRows(b);
    writeOrphanRows(b);
    b.close();
    const db = await target();

    const ok = await runCli(['migrate-sqlite', '--source', good, '--target', db.url!, '--json']).done;
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({ exitCode: 0, verification: { ok: true }, format: { format: 'collections-era' } });

    const orphans = await runCli(['migrate-sqlite', '--source', bad, '--dry-run']).done;
    expect(orphans.code).toBe(1);
    expect(orphans.stdout).toMatch(/Problems \(orphan: 4\)/);
    expect(orphans.stdout).toMatch(/documents row e0c00000-0000-4000-8000-000000000001 column collection_id: references collections "no-such-collection", which is missing/);

    const usage = await runCli(['migrate-sqlite', '--source', good, '--batch-size', '0']).done;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--batch-size must be a whole number/);

    const notSqlite = await runCli(['migrate-sqlite', '--source', BIN, '--dry-run']).done;
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.stderr).toMatch(/semantik\.js is not a SQLite database/);
  });
});
