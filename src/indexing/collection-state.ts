import type { Repositories } from '../db/repositories.js';
import type { CollectionRow } from '../db/schema.js';
import { truncateText } from '../shared/truncate.js';

/** status_message is shown in the UI; long parser errors are cut to keep the row readable. */
const MAX_STATUS_MESSAGE = 500;

export function truncateMessage(message: string, max = MAX_STATUS_MESSAGE): string {
  return truncateText(message, max);
}

export async function markCollectionProcessing(repos: Repositories, collectionId: string): Promise<void> {
  await repos.collections.update(collectionId, { status: 'processing', status_message: null });
}

/**
 * After a successful operation: counters recomputed from the rows search reads, and `ready`, or
 * `degraded` when some documents could not be indexed (the others are searchable).
 */
export async function settleCollection(repos: Repositories, collectionId: string, note?: string, options: { degraded?: boolean } = {}): Promise<CollectionRow> {
  await repos.collections.refreshCounters(collectionId);
  const counts = await repos.documents.countByStatus(collectionId);
  const total = counts.completed + counts.failed + counts.pending + counts.processing;
  if (counts.failed > 0) {
    return repos.collections.update(collectionId, {
      status: 'degraded',
      status_message: truncateMessage(
        `${counts.failed} of ${total} documents could not be indexed (list them with status=failed)${note ? `; ${note}` : ''}`,
      ),
    });
  }
  // `degraded` without failed documents: e.g. a source folder that vanished (sync kept its documents).
  if (options.degraded && note) return repos.collections.update(collectionId, { status: 'degraded', status_message: truncateMessage(note) });
  return repos.collections.update(collectionId, { status: 'ready', status_message: note ? truncateMessage(note) : null });
}

export async function markCollectionError(repos: Repositories, collectionId: string, message: string): Promise<void> {
  await repos.collections.refreshCounters(collectionId);
  await repos.collections.update(collectionId, { status: 'error', status_message: truncateMessage(message) });
}
