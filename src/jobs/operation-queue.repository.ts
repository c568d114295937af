import { sql } from 'kysely';
import type { OperationRow, OperationStatus } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';

/** Channel workers LISTEN on (server mode) to pick up new operations without waiting for a poll. */
export const OPERATIONS_QUEUED_CHANNEL = 'semantik_operations_queued';

/** What a worker needs to know about the operation it holds, read under a row lock. */
export interface OperationOwnership {
  status: OperationStatus;
  locked_by: string | null;
  cancel_requested: boolean;
}

/**
 * The job-queue side of the `operations` table (see docs/jobs.md). Each method is one statement;
 * the worker decides when to call which. A "runnable" operation is a pending one whose run_after
 * has come, or a processing one whose lease ran out (its worker died or hung).
 */
export class OperationQueueRepository {
  constructor(private readonly tx: Tx) {}

  /** Wakes listening workers; inside the enqueuing transaction, so it is delivered only on commit. */
  async notifyQueued(id: string): Promise<void> {
    await sql`SELECT pg_notify(${OPERATIONS_QUEUED_CHANNEL}, ${id})`.execute(this.tx);
  }

  /**
   * Claims the oldest runnable operation with attempts left: FOR UPDATE SKIP LOCKED lets any
   * number of workers claim concurrently without waiting on each other or taking the same row.
   */
  async claimNext(workerId: string, leaseSeconds: number, maxAttemptsCap: number): Promise<OperationRow | undefined> {
    const { rows } = await sql<OperationRow>`
      UPDATE operations
      SET status = 'processing',
          locked_by = ${workerId},
          locked_until = now() + make_interval(secs => ${leaseSeconds}),
          heartbeat_at = now(),
          attempts = attempts + 1,
          started_at = coalesce(started_at, now())
      WHERE id = (
        SELECT id FROM operations
        WHERE ((status = 'pending' AND run_after <= now())
               OR (status = 'processing' AND (locked_until IS NULL OR locked_until < now())))
          AND attempts < least(max_attempts, ${maxAttemptsCap})
        ORDER BY created_at
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
      RETURNING *`.execute(this.tx);
    return rows[0];
  }

  /** Runnable operations that used up their attempts; locked so that one worker fails each. */
  async lockExhausted(maxAttemptsCap: number, limit: number): Promise<OperationRow[]> {
    const { rows } = await sql<OperationRow>`
      SELECT * FROM operations
      WHERE ((status = 'pending' AND run_after <= now())
             OR (status = 'processing' AND (locked_until IS NULL OR locked_until < now())))
        AND attempts >= least(max_attempts, ${maxAttemptsCap})
      ORDER BY created_at
      FOR UPDATE SKIP LOCKED
      LIMIT ${limit}`.execute(this.tx);
    return rows;
  }

  /** Seconds until the next operation becomes runnable (a run_after or a lease end), if any. */
  async secondsUntilNextRunnable(): Promise<number | undefined> {
    const { rows } = await sql<{ wait: number | null }>`
      SELECT extract(epoch FROM min(CASE WHEN status = 'pending' THEN run_after ELSE coalesce(locked_until, now()) END) - now())::float8 AS wait
      FROM operations WHERE status IN ('pending', 'processing')`.execute(this.tx);
    const wait = rows[0]?.wait;
    return wait === null || wait === undefined ? undefined : Number(wait);
  }

  /** Extends the lease, only while this worker still holds it. False: lease lost or operation ended. */
  async heartbeat(id: string, workerId: string, leaseSeconds: number): Promise<boolean> {
    const result = await this.tx
      .updateTable('operations')
      .set({ locked_until: sql`now() + make_interval(secs => ${leaseSeconds})`, heartbeat_at: sql`now()` })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async lockOwnership(id: string): Promise<OperationOwnership | undefined> {
    return this.tx
      .selectFrom('operations')
      .select(['status', 'locked_by', 'cancel_requested'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  findOwnership(id: string): Promise<OperationOwnership | undefined> {
    return this.tx.selectFrom('operations').select(['status', 'locked_by', 'cancel_requested']).where('id', '=', id).executeTakeFirst();
  }

  /**
   * Draining (SIGTERM): hands the operation back for any worker to pick up at once. The attempt
   * is given back too: a deploy is not a failure.
   */
  async release(id: string, workerId: string): Promise<boolean> {
    const result = await this.tx
      .updateTable('operations')
      .set({
        status: 'pending',
        locked_by: null,
        locked_until: null,
        run_after: sql`now()`,
        attempts: sql`greatest(attempts - 1, 0)`,
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A transient failure: back to pending, runnable again after `delayMs`. */
  async retryLater(id: string, workerId: string, delayMs: number, errorMessage: string): Promise<boolean> {
    const result = await this.tx
      .updateTable('operations')
      .set({
        status: 'pending',
        locked_by: null,
        locked_until: null,
        run_after: sql`now() + make_interval(secs => ${delayMs / 1000})`,
        error_message: errorMessage,
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Ends an operation this worker holds (completed/failed); undefined when it no longer holds it. */
  finish(id: string, workerId: string, status: 'completed' | 'failed', errorMessage: string | null = null): Promise<OperationRow | undefined> {
    return this.tx
      .updateTable('operations')
      .set({ status, error_message: errorMessage, completed_at: sql`now()`, locked_by: null, locked_until: null, current_file: null })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'processing')
      .returningAll()
      .executeTakeFirst();
  }

  /** Fails an operation nobody holds any more (attempts used up); the caller holds its row lock. */
  async failExhausted(id: string, errorMessage: string): Promise<void> {
    await this.tx
      .updateTable('operations')
      .set({ status: 'failed', error_message: errorMessage, completed_at: sql`now()`, locked_by: null, locked_until: null })
      .where('id', '=', id)
      .execute();
  }

  /** After a cancellation was noticed: the row is already `cancelled`; drop this worker's lock. */
  async clearLock(id: string, workerId: string): Promise<void> {
    await this.tx.updateTable('operations').set({ locked_by: null, locked_until: null }).where('id', '=', id).where('locked_by', '=', workerId).execute();
  }

  /**
   * Embedded mode only: the data-directory lock guarantees this is the only process, so every
   * `processing` lease belongs to a process that died; make them claimable now instead of waiting.
   */
  async expireAllLeases(): Promise<number> {
    const result = await this.tx
      .updateTable('operations')
      .set({ locked_until: sql`now() - interval '1 second'` })
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Shallow-merges `patch` into operations.metadata (resume state such as a reindex's target). */
  async mergeMetadata(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.tx
      .updateTable('operations')
      .set({ metadata: sql`metadata || ${JSON.stringify(patch)}::jsonb` })
      .where('id', '=', id)
      .execute();
  }
}
