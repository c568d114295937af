import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';

export interface TestDatabase {
  database: Database;
  /** postgres:// URL of the cloned database; undefined for PGlite. */
  url: string | undefined;
  config: AppConfig;
  /** Closes the handle and drops the cloned database. */
  dispose(): Promise<void>;
}

export type BackendName = 'postgres' | 'pglite';

export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    SEMANTIK_DATA_DIR: '/tmp/semantik-test-unused',
    LOG_LEVEL: 'silent',
    DB_POOL_SIZE: '2',
    DB_MAX_OVERFLOW: '8',
    DB_POOL_TIMEOUT: '10',
    ...overrides,
  });
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** A fresh database on the real server, cloned from the migrated template. */
export async function createServerTestDatabase(env: Record<string, string | undefined> = {}): Promise<TestDatabase> {
  const name = `semantik_t_${randomBytes(6).toString('hex')}`;
  // Identifiers cannot be bound parameters; `name` is generated here from hex only.
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await adminQuery(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  const config = testConfig({ DATABASE_URL: url.toString(), ...env });
  const database = await openDatabase(config);
  return {
    database,
    url: url.toString(),
    config,
    dispose: async () => {
      await database.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** An empty, unmigrated database on the real server (for migration tests). */
export async function createEmptyServerDatabase(): Promise<{ url: string; dispose(): Promise<void> }> {
  const name = `semantik_e_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  return { url: url.toString(), dispose: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A migrated in-memory PGlite database. */
export async function createEmbeddedTestDatabase(env: Record<string, string | undefined> = {}): Promise<TestDatabase> {
  const config = testConfig({ DATABASE_URL: undefined, ...env });
  const database = await openDatabase(config, { inMemory: true });
  await migrateToLatest(database.db);
  return { database, url: undefined, config, dispose: () => database.close() };
}

export const BACKENDS: ReadonlyArray<{ name: BackendName; create: () => Promise<TestDatabase> }> = [
  { name: 'postgres', create: () => createServerTestDatabase() },
  { name: 'pglite', create: () => createEmbeddedTestDatabase() },
];

let counter = 0;
/** Unique, readable test data names (tests share a database within a file). */
export function uniqueName(prefix = 'name'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

/**
 * A temp folder and the test databases a spec file creates, both cleaned up after the file's
 * tests (registers beforeAll/afterAll; call it at the top level of the spec).
 */
export function testWorkspace(prefix: string) {
  let dir = '';
  const databases: TestDatabase[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const database of databases) await database.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const track = <T extends TestDatabase>(database: T): T => {
    databases.push(database);
    return database;
  };
  return {
    /** The temp folder (set once beforeAll has run). */
    get dir() {
      return dir;
    },
    track,
    serverDatabase: async () => track(await createServerTestDatabase()),
  };
}
