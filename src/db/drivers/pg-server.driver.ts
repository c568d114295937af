import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { PoolConfig } from '../../config/config.js';
import { DatabaseUnavailableError } from '../../errors/domain-errors.js';
import { COPY_PAYLOAD, isCopyQuery } from './copy-payload.js';
import { TransactionControl } from './transaction-control.js';

// int8 (bigint) → number: ids and counters stay far below 2^53; strings would leak into every DTO.
pg.types.setTypeParser(20, (value) => Number(value));

/** A client idle for longer than this is pinged before use when DB_POOL_PRE_PING is on. */
const PRE_PING_AFTER_IDLE_MS = 1_000;

export interface ServerPool {
  pool: pg.Pool;
  stats(): { total: number; idle: number; inUse: number; waiting: number; max: number; min: number };
}

/**
 * A pg pool with SQLAlchemy-like semantics: `size` connections are kept (pg-pool `min`), up to
 * `maxOverflow` more are opened under load and closed again after 10 s idle, a checkout waits at most
 * `timeoutMs`, and connections are recycled after `recycleSeconds`.
 */
export function createServerPool(connectionString: string, config: PoolConfig, onError?: (err: Error) => void): ServerPool {
  const pool = new pg.Pool({
    connectionString,
    min: config.size,
    max: config.size + config.maxOverflow,
    connectionTimeoutMillis: config.timeoutMs,
    idleTimeoutMillis: 10_000,
    maxLifetimeSeconds: config.recycleSeconds,
    statement_timeout: config.statementTimeoutMs > 0 ? config.statementTimeoutMs : undefined,
    application_name: 'semantik',
    keepAlive: true,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', (err) => onError?.(err));
  // Nor a checked-out one: pg-pool listens for 'error' only while a client is idle, and a client
  // told "terminating connection" (57P01) between two queries of a transaction emits 'error' with
  // no listener, which killed the process on a PostgreSQL restart
  // (test/reliability/postgres-restart.spec.ts). Its next query fails and the connection is
  // destroyed on release (isConnectionLevelError).
  pool.on('connect', (client) => client.on('error', (err) => onError?.(err)));
  return {
    pool,
    stats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      inUse: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
      max: config.size + config.maxOverflow,
      min: config.size,
    }),
  };
}

const lastReleasedAt = new WeakMap<pg.PoolClient, number>();

export class PgServerDriver extends TransactionControl implements Driver {
  constructor(
    private readonly serverPool: ServerPool,
    private readonly config: PoolConfig,
  ) {
    super();
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // One retry covers the case where the pre-ping finds a connection the server already closed.
    for (let attempt = 0; ; attempt++) {
      const client = await this.checkout();
      if (!this.config.prePing || !this.needsPing(client)) return new PgServerConnection(client);
      try {
        await client.query('SELECT 1');
        return new PgServerConnection(client);
      } catch (err) {
        client.release(err as Error);
        if (attempt >= 1) throw err;
      }
    }
  }

  private async checkout(): Promise<pg.PoolClient> {
    try {
      return await this.serverPool.pool.connect();
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (message.includes('timeout exceeded when trying to connect')) {
        const s = this.serverPool.stats();
        throw new DatabaseUnavailableError(
          `No database connection free after ${this.config.timeoutMs / 1000} s ` +
            `(${s.inUse} in use of ${s.max}, ${s.waiting} waiting). ` +
            'Raise DB_POOL_SIZE / DB_MAX_OVERFLOW or DB_POOL_TIMEOUT, or reduce load.',
          { cause: err },
        );
      }
      throw err;
    }
  }

  private needsPing(client: pg.PoolClient): boolean {
    const released = lastReleasedAt.get(client);
    return released !== undefined && Date.now() - released > PRE_PING_AFTER_IDLE_MS;
  }


  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgServerConnection).release();
  }

  async destroy(): Promise<void> {
    await this.serverPool.pool.end();
  }
}

class PgServerConnection implements DatabaseConnection {
  private broken: Error | undefined;

  constructor(private readonly client: pg.PoolClient) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      if (isCopyQuery(compiledQuery)) {
        const stream = this.client.query(copyStreams.from(compiledQuery.sql));
        await pipeline(Readable.from(compiledQuery[COPY_PAYLOAD].lines), stream);
        return { rows: [], numAffectedRows: BigInt(stream.rowCount ?? 0) };
      }
      const result = await this.client.query(compiledQuery.sql, [...compiledQuery.parameters]);
      const affects = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(result.command);
      return {
        rows: (result.rows ?? []) as R[],
        numAffectedRows: affects ? BigInt(result.rowCount ?? 0) : undefined,
      };
    } catch (err) {
      if (isConnectionLevelError(err)) this.broken = err as Error;
      throw err;
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not used by Semantik; page with keyset queries instead');
  }

  release(): void {
    lastReleasedAt.set(this.client, Date.now());
    // A connection that failed at the socket level is destroyed instead of returned to the pool.
    this.client.release(this.broken);
  }
}

function isConnectionLevelError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  // Socket errors (ECONNRESET, "Connection terminated unexpectedly") carry no SQLSTATE at all.
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}
