import path from 'node:path';
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type Dialect } from 'kysely';
import type { AppConfig, PoolConfig } from '../config/config.js';
import { createServerPool, PgServerDriver } from './drivers/pg-server.driver.js';
import { lockDataDir, openPglite, PgliteDriver } from './drivers/pglite.driver.js';
import type { DB } from './schema.js';

export type DatabaseKind = 'server' | 'embedded';

export interface PoolStats {
  total: number;
  idle: number;
  inUse: number;
  waiting: number;
  max: number;
  min: number;
}

/** The process's one handle on the database: a Kysely instance plus what operators need to see. */
export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Kysely<DB>;
  readonly pool: PoolConfig;
  /** A redacted description (`postgres://user@host:5432/db` or the embedded data path). */
  readonly target: string;
  /** Retry attempts for transient errors at the unit-of-work boundary (DB_RETRY_ATTEMPTS). */
  readonly retryAttempts: number;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Embedded only: keep the database in memory (tests, dry runs). */
  inMemory?: boolean;
  onPoolError?: (err: Error) => void;
}

function dialectFor(driver: PgServerDriver | PgliteDriver): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

/** Chooses the backend from DATABASE_URL: a `pg` pool for a server, PGlite in the data dir otherwise. */
export async function openDatabase(config: AppConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (config.databaseUrl) {
    const serverPool = createServerPool(config.databaseUrl, config.pool, options.onPoolError);
    const db = new Kysely<DB>({ dialect: dialectFor(new PgServerDriver(serverPool, config.pool)) });
    return {
      kind: 'server',
      db,
      pool: config.pool,
      target: redactUrl(config.databaseUrl),
      retryAttempts: config.retryAttempts,
      poolStats: serverPool.stats,
      close: () => db.destroy(),
    };
  }

  const pgDir = path.join(config.dataDir, 'pg');
  const unlock = options.inMemory ? () => {} : lockDataDir(config.dataDir);
  try {
    const pglite = await openPglite(options.inMemory ? undefined : pgDir);
    const driver = new PgliteDriver(pglite, config.pool.timeoutMs, async () => {
      await pglite.close();
      unlock();
    });
    const db = new Kysely<DB>({ dialect: dialectFor(driver) });
    return {
      kind: 'embedded',
      db,
      pool: config.pool,
      target: options.inMemory ? 'embedded (in memory)' : `embedded (${pgDir})`,
      retryAttempts: config.retryAttempts,
      poolStats: () => driver.stats(),
      close: () => db.destroy(),
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
