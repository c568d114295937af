import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import { DatabaseUnavailableError } from '../../errors/domain-errors.js';
import { COPY_PAYLOAD, isCopyQuery } from './copy-payload.js';
import { PgliteStatementCache } from './pglite-statements.js';
import { TransactionControl } from './transaction-control.js';

/**
 * Embedded PostgreSQL (PGlite, WASM) behind the same Kysely interface as the server pool.
 * PGlite is one single-user backend, so the "pool" is one connection handed out under a mutex:
 * a unit of work owns it from BEGIN to COMMIT, everyone else waits their turn (FIFO).
 */
export async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  const options = {
    extensions: { vector },
    // int8 → number, matching the server driver.
    parsers: { 20: (value: string) => Number(value) },
  };
  const db = dataDir ? new PGlite(dataDir, options) : new PGlite(options);
  await db.waitReady;
  return db;
}

/**
 * One process owns an embedded data directory: PGlite has no cross-process locking and two
 * writers corrupt it. The lock file holds the owner's pid; a stale one (dead pid) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = path.join(dir, 'semantik.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseUnavailableError(
          `The embedded database in ${dir} is in use by another Semantik process (pid ${owner}). ` +
            'Stop that process, or run this one against a PostgreSQL server with DATABASE_URL=postgres://…',
        );
      }
      fs.unlinkSync(lockPath); // stale lock from a process that died
    }
  }
  throw new DatabaseUnavailableError(`Could not lock the embedded database directory ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

class FifoMutex {
  private tail: Promise<void> = Promise.resolve();
  waiting = 0;
  held = false;

  async acquire(timeoutMs: number): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    this.waiting++;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      await Promise.race([
        previous,
        new Promise<void>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(
              new DatabaseUnavailableError(
                `The embedded database was busy for more than ${timeoutMs / 1000} s. ` +
                  'Raise DB_POOL_TIMEOUT, or use a PostgreSQL server (DATABASE_URL) for concurrent load.',
              ),
            );
          }, timeoutMs);
        }),
      ]);
    } catch (err) {
      // Our slot in the chain must still pass the lock on once the previous holder is done.
      if (timedOut) void previous.then(() => release());
      throw err;
    } finally {
      clearTimeout(timer);
      this.waiting--;
    }
    this.held = true;
    return () => {
      this.held = false;
      release();
    };
  }
}

export class PgliteDriver extends TransactionControl implements Driver {
  private readonly mutex = new FifoMutex();
  private readonly statements: PgliteStatementCache;

  constructor(
    private readonly pglite: PGlite,
    private readonly acquireTimeoutMs: number,
    private readonly onDestroy: () => Promise<void>,
  ) {
    super();
    this.statements = new PgliteStatementCache(pglite);
  }

  stats() {
    return { total: 1, idle: this.mutex.held ? 0 : 1, inUse: this.mutex.held ? 1 : 0, waiting: this.mutex.waiting, max: 1, min: 1 };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.acquire(this.acquireTimeoutMs);
    return new PgliteConnection(this.pglite, this.statements, release);
  }


  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  async destroy(): Promise<void> {
    await this.onDestroy();
  }
}

class PgliteConnection implements DatabaseConnection {
  constructor(
    private readonly pglite: PGlite,
    private readonly statements: PgliteStatementCache,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (isCopyQuery(compiledQuery)) {
      const sqlText = compiledQuery.sql.replace(/FROM STDIN/i, "FROM '/dev/blob'");
      const body = Array.from(compiledQuery[COPY_PAYLOAD].lines).join('');
      const result = await this.pglite.query(sqlText, [], { blob: new Blob([body]) });
      return { rows: [], numAffectedRows: BigInt(result.affectedRows ?? 0) };
    }
    const result = await this.statements.run<R>(compiledQuery.sql, compiledQuery.parameters);
    return {
      rows: result.rows ?? [],
      numAffectedRows: result.affectedRows !== undefined ? BigInt(result.affectedRows) : undefined,
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not used by Semantik; page with keyset queries instead');
  }
}
