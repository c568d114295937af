import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { assertDumpIntact, readManifest, semantikVersion, sha256File, writeManifest, type BackupManifest } from './backup-manifest.js';
import { BackupError, BackupVerificationError } from './backup.errors.js';
import { compareFingerprints, fingerprintDatabase, type DatabaseFingerprint } from './database-fingerprint.js';
import { connectionForTool, findPgTool, runPgTool } from './pg-client-tools.js';

/**
 * Server backups: `pg_dump -Fc` of one exported snapshot, with the manifest's fingerprint taken
 * in that same snapshot, so the counts describe exactly what is in the dump even while the app
 * keeps writing. Restore: `pg_restore` in one transaction into an empty database, then verify.
 */
export interface ServerBackupOptions {
  pgBinDir?: string;
}

export interface ServerRestoreOptions extends ServerBackupOptions {
  /** Drop the target's existing Semantik tables first (they are NOT kept anywhere: back them up). */
  force?: boolean;
}

async function serverVersion(db: Kysely<any>): Promise<{ major: number; version: string }> {
  const { rows } = await sql<{ num: number; version: string }>`
    SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`.execute(db);
  return { major: Math.floor(rows[0]!.num / 10000), version: rows[0]!.version };
}

export async function backupServer(database: Database, databaseUrl: string, outFile: string, options: ServerBackupOptions = {}) {
  const server = await serverVersion(database.db);
  const pgDump = await findPgTool('pg_dump', server.major, options.pgBinDir);
  const partial = `${outFile}.partial`;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  const { dbname, env } = connectionForTool(databaseUrl);

  let fingerprint: DatabaseFingerprint;
  try {
    fingerprint = await database.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const { rows } = await sql<{ snapshot: string }>`SELECT pg_export_snapshot() AS snapshot`.execute(trx);
        // The exported snapshot lives as long as this transaction: pg_dump and the fingerprint
        // both read it, concurrently, and we wait for both before committing.
        const [dumped, fingerprinted] = await Promise.allSettled([
          runPgTool(
            pgDump,
            ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${rows[0]!.snapshot}`, `--file=${partial}`, `--dbname=${dbname}`],
            env,
            'pg_dump',
          ),
          fingerprintDatabase(trx),
        ]);
        if (dumped.status === 'rejected') throw dumped.reason;
        if (fingerprinted.status === 'rejected') throw fingerprinted.reason;
        return fingerprinted.value;
      });
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  }

  fs.renameSync(partial, outFile);
  const manifest: BackupManifest = {
    format: 'semantik-backup/1',
    kind: 'pg_dump-custom',
    created_at: new Date().toISOString(),
    semantik_version: semantikVersion(),
    source: { backend: 'server', target: database.target, server_version: server.version },
    dump: { file: path.basename(outFile), bytes: fs.statSync(outFile).size, sha256: await sha256File(outFile), tool: `pg_dump ${pgDump.version}` },
    migration: fingerprint.migration,
    tables: fingerprint.tables,
  };
  const manifestFile = writeManifest(outFile, manifest);
  return { file: outFile, manifestFile, manifest };
}

async function tablesIn(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(db);
  return rows.map((r) => r.name);
}

export async function restoreServer(database: Database, databaseUrl: string, dumpFile: string, options: ServerRestoreOptions = {}) {
  const manifest = readManifest(dumpFile);
  if (manifest.kind !== 'pg_dump-custom') {
    throw new BackupError(
      `${dumpFile} is a backup of the embedded database (${manifest.kind}); restore it with DATABASE_URL unset ` +
        '(into $SEMANTIK_DATA_DIR/pg). To move embedded data to a server, see docs/operations.md.',
    );
  }
  await assertDumpIntact(dumpFile, manifest);

  const server = await serverVersion(database.db);
  const dumpMajor = Number(/(\d+)/.exec(manifest.dump.tool)?.[1] ?? 0);
  const pgRestore = await findPgTool('pg_restore', Math.max(server.major, dumpMajor), options.pgBinDir);

  const existing = await tablesIn(database.db);
  if (existing.length > 0) {
    if (!options.force) {
      throw new BackupError(
        `The target database ${database.target} is not empty (${existing.length} tables: ${existing.slice(0, 4).join(', ')}` +
          `${existing.length > 4 ? ', …' : ''}). Restore into an empty database (\`createdb NEW\` and point DATABASE_URL at it), ` +
          'or pass --force to DROP those tables first (back them up before: `semantik backup --out …`).',
      );
    }
    await database.db.transaction().execute(async (trx) => {
      for (const table of existing) await sql`DROP TABLE IF EXISTS ${sql.table(table)} CASCADE`.execute(trx);
      // The schema's own functions (the chunk statistics triggers') are in the dump too; extension
      // functions (pgvector's) stay, the dump only re-creates the extension IF NOT EXISTS.
      await sql`
        DO $$
        DECLARE f regprocedure;
        BEGIN
          FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.pronamespace = current_schema()::regnamespace
                     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
          LOOP
            EXECUTE format('DROP FUNCTION %s CASCADE', f);
          END LOOP;
        END $$`.execute(trx);
    });
  }

  const { dbname, env } = connectionForTool(databaseUrl);
  // --single-transaction: a failure part-way (damaged archive, missing extension) leaves the target
  // as empty as it was. --no-comments: COMMENT ON EXTENSION needs the extension's owner, which a
  // managed-PostgreSQL user is not; we keep no information in comments.
  await runPgTool(
    pgRestore,
    ['--no-owner', '--no-privileges', '--no-comments', '--exit-on-error', '--single-transaction', `--dbname=${dbname}`, dumpFile],
    env,
    `Restoring ${dumpFile}`,
  );

  const fingerprint = await database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => fingerprintDatabase(trx));
  const mismatches = compareFingerprints({ migration: manifest.migration, tables: manifest.tables }, fingerprint);
  if (mismatches.length > 0) {
    throw new BackupVerificationError(
      `The restored database does not match the backup's manifest:\n${mismatches.map((m) => `  - ${m}`).join('\n')}\n` +
        'Do not put it into service; restore another backup or investigate the dump.',
      mismatches,
    );
  }
  return { manifest, fingerprint };
}
