import { repositoriesFor, type Repositories } from '../db/repositories.js';
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
  await repositoriesFor(tx).sources.markDue(sourceId);
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
  const source = await repos.sources.lockNextDue();
  if (!source) return undefined;
  const active = await repos.operations.findActiveForCollection(source.collection_id);
  let operationId: string | null = null;
  if (active) {
    await repos.sources.postponeSync(source.id, BUSY_RETRY_MINUTES);
  } else {
    const operation = await enqueueSync(tx, repos, { collectionId: source.collection_id, userId: source.owner_id, source,
      // Marked due by a watcher (no interval of its own) or by its schedule.
      reason: source.sync_interval_minutes === null ? 'watch' : 'schedule',
    });
    operationId = operation.id;
    await repos.sources.advanceSyncSchedule(source.id);
  }
  return { sourceId: source.id, collectionId: source.collection_id, operationId };
}
