import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { lockDataDir, PgliteDriver } from '../db/drivers/pglite.driver.js';
import { DatabaseUnavailableError } from '../errors/domain-errors.js';
import { assertDumpIntact, readManifest, semantikVersion, sha256File, writeManifest, type BackupManifest } from './backup-manifest.js';
import { BackupError, BackupVerificationError } from './backup.errors.js';
import { compareFingerprints, fingerprintDatabase, type DatabaseFingerprint } from './database-fingerprint.js';

/**
 * Embedded backups: PGlite's `dumpDataDir()` tarball of `$SEMANTIK_DATA_DIR/pg`. It is consistent
 * because this process owns the database (the data-dir lock keeps `semantik serve` out while we
 * run, and refuses to start while it runs) and we CHECKPOINT first, so the tarball needs no WAL
 * replay. Restore unpacks it into an empty `pg` directory (PGlite's `loadDataDir`) and verifies.
 */
const ACQUIRE_TIMEOUT_MS = 30_000;

function pgDirOf(dataDir: string): string {
  return path.join(dataDir, 'pg');
}

function lockForBackup(dataDir: string, verb: string): () => void {
  try {
    return lockDataDir(dataDir);
  } catch (err) {
    if (err instanceof DatabaseUnavailableError) {
      throw new BackupError(
        `Cannot ${verb} the embedded database now: ${err.message}\n` +
          `  The embedded database belongs to one process at a time, so stop \`semantik serve\` / \`semantik worker\` first, ` +
          `run the ${verb}, then start it again (a server database, DATABASE_URL, can be backed up while it runs).`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function openEmbedded(pgDir: string, loadDataDir?: Blob): Promise<{ pglite: PGlite; db: Kysely<any> }> {
  const pglite = new PGlite(pgDir, { extensions: { vector }, ...(loadDataDir ? { loadDataDir } : {}) });
  await pglite.waitReady;
  const driver = new PgliteDriver(pglite, ACQUIRE_TIMEOUT_MS, () => pglite.close());
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { pglite, db };
}

async function describe(db: Kysely<any>): Promise<{ fingerprint: DatabaseFingerprint; version: string }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows } = await sql<{ version: string }>`SELECT current_setting('server_version') AS version`.execute(trx);
      return { fingerprint: await fingerprintDatabase(trx), version: `${rows[0]!.version} (PGlite)` };
    });
}

export async function backupEmbedded(dataDir: string, outFile: string) {
  const pgDir = pgDirOf(dataDir);
  const unlock = lockForBackup(dataDir, 'back up');
  const partial = `${outFile}.partial`;
  try {
    if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
      throw new BackupError(`There is no embedded database in ${pgDir} (check SEMANTIK_DATA_DIR, or set DATABASE_URL to back up a server).`);
    }
    fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
    const { pglite, db } = await openEmbedded(pgDir);
    let described: Awaited<ReturnType<typeof describe>>;
    try {
      described = await describe(db);
      await sql`CHECKPOINT`.execute(db);
      const tarball = await pglite.dumpDataDir('gzip');
      fs.writeFileSync(partial, Buffer.from(await tarball.arrayBuffer()));
    } finally {
      await db.destroy();
    }
    fs.renameSync(partial, outFile);
    const manifest: BackupManifest = {
      format: 'semantik-backup/1',
      kind: 'pglite-datadir-tar-gz',
      created_at: new Date().toISOString(),
      semantik_version: semantikVersion(),
      source: { backend: 'embedded', target: `embedded (${pgDir})`, server_version: described.version },
      dump: { file: path.basename(outFile), bytes: fs.statSync(outFile).size, sha256: await sha256File(outFile), tool: 'PGlite dumpDataDir' },
      migration: described.fingerprint.migration,
      tables: described.fingerprint.tables,
    };
    return { file: outFile, manifestFile: writeManifest(outFile, manifest), manifest };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    unlock();
  }
}

export interface EmbeddedRestoreOptions {
  /** Move an existing `pg` directory aside (to `pg.before-restore-<time>`) instead of refusing. */
  force?: boolean;
}

export async function restoreEmbedded(dataDir: string, dumpFile: string, options: EmbeddedRestoreOptions = {}) {
  const manifest = readManifest(dumpFile);
  if (manifest.kind !== 'pglite-datadir-tar-gz') {
    throw new BackupError(
      `${dumpFile} is a PostgreSQL server backup (${manifest.kind}); restore it with DATABASE_URL pointing at an empty server database.`,
    );
  }
  await assertDumpIntact(dumpFile, manifest);

  const pgDir = pgDirOf(dataDir);
  const unlock = lockForBackup(dataDir, 'restore');
  let setAside: string | undefined;
  try {
    if (fs.existsSync(pgDir) && fs.readdirSync(pgDir).length > 0) {
      if (!options.force) {
        throw new BackupError(
          `${pgDir} already holds a database. Restore refuses to overwrite it: move it away, point SEMANTIK_DATA_DIR ` +
            'at an empty directory, or pass --force (the current one is kept as pg.before-restore-<time>).',
        );
      }
      setAside = `${pgDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(pgDir, setAside);
    }

    let fingerprint: DatabaseFingerprint;
    try {
      let opened: Awaited<ReturnType<typeof openEmbedded>>;
      try {
        opened = await openEmbedded(pgDir, new Blob([fs.readFileSync(dumpFile)]));
      } catch (err) {
        throw new BackupError(`PGlite could not load ${dumpFile} (${(err as Error).message}); the backup is not a usable data directory.`, {
          cause: err,
        });
      }
      try {
        fingerprint = (await describe(opened.db)).fingerprint;
      } finally {
        await opened.db.destroy();
      }
      const mismatches = compareFingerprints({ migration: manifest.migration, tables: manifest.tables }, fingerprint);
      if (mismatches.length > 0) {
        throw new BackupVerificationError(
          `The restored database does not match the backup's manifest:\n${mismatches.map((m) => `  - ${m}`).join('\n')}\n` +
            'It was removed again; restore another backup or investigate the dump.',
          mismatches,
        );
      }
    } catch (err) {
      // Nothing half-restored stays behind, and what was there before comes back.
      fs.rmSync(pgDir, { recursive: true, force: true });
      if (setAside) fs.renameSync(setAside, pgDir);
      setAside = undefined;
      throw err;
    }
    return { manifest, fingerprint, previousDataDir: setAside };
  } finally {
    unlock();
  }
}
