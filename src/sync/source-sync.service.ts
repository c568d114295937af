import { sql } from 'kysely';
import type { Repositories } from '../db/repositories.js';
import type { CollectionSourceRow, OperationRow } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';
import { enqueueOperation } from '../operations/operation.service.js';
import type { SYNC_REASONS } from '../indexing/job-payloads.js';

export type SyncReason = (typeof SYNC_REASONS)[number];

/**
 * The one way a `sync` is enqueued (API, CLI, schedule, watcher): in the caller's transaction, so
 * the operation row and whatever claimed it (a schedule's next_sync_at) commit together.
 * Without `source`, every source of the collection is synced. 409 (ConflictError) while another
 * operation of the collection is active.
 */
export function enqueueSync(
  tx: Tx,
  repos: Repositories,
  input: { collectionId: string; userId: number | null; source?: CollectionSourceRow; reason: SyncReason },
): Promise<OperationRow> {
  const { source } = input;
  return enqueueOperation(tx, repos, {
    collectionId: input.collectionId,
    userId: input.userId,
    type: 'sync',
    config: source ? { source_id: source.id, source_path: source.source_path, reason: input.reason } : { reason: input.reason },
  });
}

/** A schedule that falls due while its collection is busy is retried this much later. */
export const BUSY_RETRY_MINUTES = 1;

/**
 * A watcher saw changes: the source is due now. The sync itself is enqueued by claimDueSync, so
 * several processes watching one folder (every worker watches) still enqueue it once. An earlier
 * due time is kept.
 */
export async function markSourceDue(tx: Tx, sourceId: number): Promise<void> {
  await sql`UPDATE collection_sources SET next_sync_at = now() WHERE id = ${sourceId} AND (next_sync_at IS NULL OR next_sync_at > now())`.execute(tx);
}

export interface ScheduledSync {
  sourceId: number;
  collectionId: string;
  operationId: string | null;
}

/**
 * Claims one due schedule (or watched source marked due) and enqueues its sync, in one transaction: the source row is taken with
 * `FOR UPDATE SKIP LOCKED` (another worker checking at the same moment skips it and takes the
 * next), the operation is inserted, and `next_sync_at` moves on — so a schedule is enqueued once
 * however many workers look. The next time is counted from the due time, not from now (no drift
 * across restarts), but never in the past (a worker that was down for a day runs one sync, not 24);
 * a watched source without an interval goes back to not due.
 * A busy collection (another operation active) is retried BUSY_RETRY_MINUTES later.
 * Returns undefined when nothing is due.
 */
export async function claimDueSync(tx: Tx, repos: Repositories): Promise<ScheduledSync | undefined> {
  const { rows } = await sql<CollectionSourceRow & { owner_id: number }>`
    SELECT s.*, c.owner_id FROM collection_sources s JOIN collections c ON c.id = s.collection_id
    WHERE s.next_sync_at <= now()
    ORDER BY s.next_sync_at
    LIMIT 1
    FOR UPDATE OF s SKIP LOCKED`.execute(tx);
  const source = rows[0];
  if (!source) return undefined;
  const active = await repos.operations.findActiveForCollection(source.collection_id);
  let operationId: string | null = null;
  if (active) {
    await sql`UPDATE collection_sources SET next_sync_at = now() + make_interval(mins => ${BUSY_RETRY_MINUTES}) WHERE id = ${source.id}`.execute(tx);
  } else {
    const operation = await enqueueSync(tx, repos, { collectionId: source.collection_id, userId: source.owner_id, source,
      // Marked due by a watcher (no interval of its own) or by its schedule.
      reason: source.sync_interval_minutes === null ? 'watch' : 'schedule',
    });
    operationId = operation.id;
    await sql`
      UPDATE collection_sources
      SET next_sync_at = CASE WHEN sync_interval_minutes IS NULL THEN NULL
                              WHEN next_sync_at + make_interval(mins => sync_interval_minutes) > now()
                              THEN next_sync_at + make_interval(mins => sync_interval_minutes)
                              ELSE now() + make_interval(mins => sync_interval_minutes) END
      WHERE id = ${source.id}`.execute(tx);
  }
  return { sourceId: source.id, collectionId: source.collection_id, operationId };
}
