import { termStatsDrift } from '../../test/support/term-stats.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCollection, makeDocument, makeUser, unitVector } from '../../test/support/fixtures.js';
import { createEmptyServerDatabase, createServerTestDatabase, testConfig, type TestDatabase } from '../../test/support/test-databases.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrations } from '../db/migrations/index.js';
import { migrateToLatest } from '../db/migrator.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { manifestPathFor, readManifest, sha256File } from './backup-manifest.js';
import { BackupError, BackupVerificationError } from './backup.errors.js';
import { backupDatabase, restoreDatabase } from './backup.service.js';
import { fingerprintDatabase } from './database-fingerprint.js';
import { parsePgToolVersion } from './pg-client-tools.js';

/** Users, a collection, documents, chunks with embeddings and an operation: every kind of column. */
async function seed(database: Database): Promise<void> {
  await inUnitOfWork(database, async (tx) => {
    const repos = repositoriesFor(tx);
    const owner = await makeUser(repos, { is_superuser: true });
    await makeUser(repos);
    const collection = await makeCollection(repos, owner.id);
    for (let d = 0; d < 3; d++) {
      const doc = await makeDocument(repos, collection.id);
      await repos.chunks.insertMany(
        Array.from({ length: 4 }, (_, i) => ({
          collection_id: collection.id,
          document_id: doc.id,
          generation: 1,
          chunk_index: i,
          text: `document ${d} chunk ${i}: tabs\tnewlines\n émoji 🚀`,
          start_offset: i * 100,
          end_offset: i * 100 + 99,
          metadata: { page: i },
          embedding: unitVector(384, d * 10 + i),
        })),
        { model: 'deterministic-hash-384', dimension: 384 },
      );
    }
  });
}

const fingerprintOf = (db: Kysely<any>) => db.transaction().execute((trx) => fingerprintDatabase(trx));

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('fingerprint', () => {
  it('parses pg tool versions, including pre-10 ones', () => {
    expect(parsePgToolVersion('pg_dump (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+1)')).toEqual({ major: 16, version: '16.4' });
    expect(parsePgToolVersion('pg_restore (PostgreSQL) 9.6.24')).toEqual({ major: 9, version: '9.6.24' });
    expect(parsePgToolVersion('something else')).toBeUndefined();
  });
});

describe('backup and restore on a PostgreSQL server', () => {
  let source: TestDatabase;
  let dir: string;
  let dumpFile: string;

  beforeAll(async () => {
    source = await createServerTestDatabase();
    await seed(source.database);
    dir = tempDir('semantik-backup-');
    dumpFile = path.join(dir, 'semantik.dump');
    await backupDatabase(source.config, async () => source.database, dumpFile);
  });
  afterAll(async () => {
    await source?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function withEmptyTarget<T>(work: (target: Database, url: string) => Promise<T>): Promise<T> {
    const empty = await createEmptyServerDatabase();
    const target = await openDatabase(testConfig({ DATABASE_URL: empty.url }));
    try {
      return await work(target, empty.url);
    } finally {
      await target.close();
      await empty.dispose();
    }
  }

  it('writes a dump and a manifest with row counts, checksums and the migration', async () => {
    const manifest = readManifest(dumpFile);
    expect(manifest.kind).toBe('pg_dump-custom');
    expect(manifest.migration).toBe(Object.keys(migrations).sort().at(-1));
    expect(manifest.tables.users?.rows).toBe(2);
    expect(manifest.tables.chunks?.rows).toBe(12);
    expect(manifest.tables.chunk_embeddings?.rows).toBe(12);
    expect(manifest.dump.tool).toMatch(/^pg_dump \d+/);
    expect(await fingerprintOf(source.database.db)).toEqual({ migration: manifest.migration, tables: manifest.tables });
  });

  it('refuses to overwrite an existing backup', async () => {
    await expect(backupDatabase(source.config, async () => source.database, dumpFile)).rejects.toThrow(/already exists/);
  });

  it('restores into an empty database with identical counts and checksums', async () => {
    await withEmptyTarget(async (target, url) => {
      const result = await restoreDatabase(testConfig({ DATABASE_URL: url }), async () => target, dumpFile);
      expect(result.fingerprint).toEqual(await fingerprintOf(source.database.db));
      // The restored copy is a working Semantik database: the vector index answers.
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM chunk_embeddings WHERE dimension = 384 AND embedding IS NOT NULL`.execute(target.db);
      expect(rows[0]?.n).toBe(12);
      // Keyword statistics come back with the rows they count, and the triggers keep them after the restore.
      expect(await termStatsDrift(target.db)).toEqual([]);
    });
  });

  it('refuses a non-empty target unless --force, which replaces its tables', async () => {
    await withEmptyTarget(async (target, url) => {
      const config = testConfig({ DATABASE_URL: url });
      await migrateToLatest(target.db);
      await seed(target); // different data than the backup
      await expect(restoreDatabase(config, async () => target, dumpFile)).rejects.toThrow(/is not empty .*--force/s);
      const result = await restoreDatabase(config, async () => target, dumpFile, { force: true });
      expect(result.fingerprint).toEqual(await fingerprintOf(source.database.db));
    });
  });

  it('rejects a corrupted dump before touching the target', async () => {
    const corrupted = path.join(dir, 'corrupted.dump');
    const bytes = fs.readFileSync(dumpFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(corrupted, bytes);
    fs.copyFileSync(manifestPathFor(dumpFile), manifestPathFor(corrupted));
    await withEmptyTarget(async (target, url) => {
      await expect(restoreDatabase(testConfig({ DATABASE_URL: url }), async () => target, corrupted)).rejects.toThrow(
        /is corrupted or is not the one its manifest describes/,
      );
      expect((await fingerprintOf(target.db)).tables).toEqual({});
    });
  });

  it('a damaged archive whose manifest was rewritten to match fails in pg_restore and leaves the target empty', async () => {
    const truncated = path.join(dir, 'truncated.dump');
    fs.writeFileSync(truncated, fs.readFileSync(dumpFile).subarray(0, 4000));
    // Re-take the manifest's digest for the damaged file, as an operator copying the wrong file might.
    const manifest = readManifest(dumpFile);
    manifest.dump = { ...manifest.dump, bytes: 4000, sha256: await sha256File(truncated) };
    fs.writeFileSync(manifestPathFor(truncated), JSON.stringify(manifest));
    await withEmptyTarget(async (target, url) => {
      const error = await restoreDatabase(testConfig({ DATABASE_URL: url }), async () => target, truncated).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(/Restoring .*truncated\.dump failed \(pg_restore/);
      expect((await fingerprintOf(target.db)).tables).toEqual({});
    });
  });

  it('fails verification when the restored data differs from the manifest', async () => {
    const tampered = path.join(dir, 'tampered.dump');
    fs.copyFileSync(dumpFile, tampered);
    const manifest = readManifest(dumpFile);
    manifest.tables.users = { rows: 3, checksum: manifest.tables.users!.checksum };
    manifest.tables.chunks = { rows: 12, checksum: '1:2' };
    fs.writeFileSync(manifestPathFor(tampered), JSON.stringify(manifest));
    await withEmptyTarget(async (target, url) => {
      const error = await restoreDatabase(testConfig({ DATABASE_URL: url }), async () => target, tampered).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(BackupVerificationError);
      expect((error as BackupVerificationError).mismatches).toEqual([
        'table chunks: same row count (12) but different content (checksum)',
        'table users: expected 3 rows, found 2',
      ]);
    });
  });

  it('names the fix when pg_dump is missing or older than the server', async () => {
    const binDir = tempDir('semantik-fake-pg-');
    try {
      await expect(backupDatabase(source.config, async () => source.database, path.join(dir, 'x.dump'), { pgBinDir: binDir })).rejects.toThrow(
        /pg_dump was not found in .*postgresql-client-\d+/s,
      );
      fs.writeFileSync(path.join(binDir, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n', { mode: 0o755 });
      await expect(backupDatabase(source.config, async () => source.database, path.join(dir, 'x.dump'), { pgBinDir: binDir })).rejects.toThrow(
        /pg_dump is older than the server: found 9\.6\.24 .*apt-get install postgresql-client-\d+/s,
      );
      expect(fs.existsSync(path.join(dir, 'x.dump'))).toBe(false);
    } finally {
      fs.rmSync(binDir, { recursive: true, force: true });
    }
  });

  it('refuses to restore a server dump into the embedded database', async () => {
    const dataDir = tempDir('semantik-embedded-target-');
    try {
      await expect(restoreDatabase(testConfig({ DATABASE_URL: undefined, SEMANTIK_DATA_DIR: dataDir }), async () => source.database, dumpFile)).rejects.toThrow(
        /PostgreSQL server backup/,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('backup and restore of the embedded database', () => {
  let dir: string;
  let sourceDataDir: string;
  let dumpFile: string;
  let expected: Awaited<ReturnType<typeof fingerprintDatabase>>;
  const embeddedConfig = (dataDir: string) => testConfig({ DATABASE_URL: undefined, SEMANTIK_DATA_DIR: dataDir });

  beforeAll(async () => {
    dir = tempDir('semantik-embedded-backup-');
    sourceDataDir = path.join(dir, 'source');
    const database = await openDatabase(embeddedConfig(sourceDataDir));
    try {
      await migrateToLatest(database.db);
      await seed(database);
      expected = await fingerprintOf(database.db);
    } finally {
      await database.close();
    }
    dumpFile = path.join(dir, 'embedded.tar.gz');
    await backupDatabase(embeddedConfig(sourceDataDir), () => Promise.reject(new Error('not used for embedded')), dumpFile);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the same fingerprint the database had', () => {
    const manifest = readManifest(dumpFile);
    expect(manifest.kind).toBe('pglite-datadir-tar-gz');
    expect({ migration: manifest.migration, tables: manifest.tables }).toEqual(expected);
    expect(manifest.tables.chunk_embeddings?.rows).toBe(12);
  });

  it('restores into an empty data directory, verified, and the app can open it', async () => {
    const target = path.join(dir, 'restored');
    const result = await restoreDatabase(embeddedConfig(target), () => Promise.reject(new Error('unused')), dumpFile);
    expect(result.fingerprint).toEqual(expected);
    const reopened = await openDatabase(embeddedConfig(target));
    try {
      expect(await fingerprintOf(reopened.db)).toEqual(expected);
    } finally {
      await reopened.close();
    }
  });

  it('refuses an existing database unless --force, which keeps the old one aside', async () => {
    const config = embeddedConfig(sourceDataDir);
    await expect(restoreDatabase(config, () => Promise.reject(new Error('unused')), dumpFile)).rejects.toThrow(/already holds a database/);
    const result = await restoreDatabase(config, () => Promise.reject(new Error('unused')), dumpFile, { force: true });
    expect(result.previousDataDir).toMatch(/pg\.before-restore-/);
    expect(fs.existsSync(path.join(result.previousDataDir!, 'PG_VERSION'))).toBe(true);
    expect(result.fingerprint).toEqual(expected);
  });

  it('a corrupted tarball is refused and nothing is left behind', async () => {
    const corrupted = path.join(dir, 'corrupted.tar.gz');
    const bytes = fs.readFileSync(dumpFile);
    bytes[100]! ^= 0xff;
    fs.writeFileSync(corrupted, bytes);
    fs.copyFileSync(manifestPathFor(dumpFile), manifestPathFor(corrupted));
    const target = path.join(dir, 'from-corrupted');
    await expect(restoreDatabase(embeddedConfig(target), () => Promise.reject(new Error('unused')), corrupted)).rejects.toThrow(/corrupted/);
    expect(fs.existsSync(path.join(target, 'pg'))).toBe(false);
  });

  describe('while another process owns the data directory', () => {
    let holder: ChildProcess;
    beforeAll(() => {
      holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      fs.writeFileSync(path.join(sourceDataDir, 'semantik.lock'), String(holder.pid));
    });
    afterAll(() => {
      holder?.kill();
      fs.rmSync(path.join(sourceDataDir, 'semantik.lock'), { force: true });
    });

    it('backup refuses and tells the operator to stop `semantik serve` first', async () => {
      await expect(
        backupDatabase(embeddedConfig(sourceDataDir), () => Promise.reject(new Error('unused')), path.join(dir, 'while-locked.tar.gz')),
      ).rejects.toThrow(/in use by another Semantik process .*stop `semantik serve`/s);
      expect(fs.existsSync(path.join(dir, 'while-locked.tar.gz'))).toBe(false);
    });
  });
});
