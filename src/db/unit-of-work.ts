import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import type { Database } from './database.js';
import { isTransientDatabaseError, mapDatabaseError } from './pg-errors.js';
import type { DB } from './schema.js';

export type Tx = Transaction<DB>;

export interface UnitOfWorkOptions {
  readOnly?: boolean;
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** Attempts after the first for transient errors; defaults to the database's DB_RETRY_ATTEMPTS. */
  retries?: number;
  /** Called before each retry, e.g. to log or count it. */
  onRetry?: (attempt: number, err: unknown) => void;
}

/** Jittered exponential back-off: 50 ms, 100 ms, 200 ms … capped at 2 s, each × random(0.5..1.5). */
export function backoffMs(attempt: number, baseMs = 50, capMs = 2_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(exp * (0.5 + Math.random()));
}

/**
 * Runs `work` in one transaction: commit on success, roll back on any error. The whole transaction
 * is retried on transient errors (serialization failure, deadlock, lost connection), never a single
 * statement half-way through, so `work` must be safe to run again from the start — keep side
 * effects outside the database (files, HTTP calls) out of it. Errors come back as domain errors.
 */
export async function inUnitOfWork<T>(database: Database, work: (tx: Tx) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
  const retries = options.retries ?? database.retryAttempts;
  for (let attempt = 0; ; attempt++) {
    try {
      let builder = database.db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      if (options.readOnly) builder = builder.setAccessMode('read only');
      return await builder.execute(work);
    } catch (err) {
      if (attempt < retries && isTransientDatabaseError(err)) {
        options.onRetry?.(attempt + 1, err);
        await sleep(backoffMs(attempt));
        continue;
      }
      throw mapDatabaseError(err);
    }
  }
}
