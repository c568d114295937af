import { performance } from 'node:perf_hooks';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import type { JobHandler } from '../jobs/job.registry.js';
import type { OperationConfigOf } from './job-payloads.js';
import { deleteInBatches, DELETE_BATCH_CHUNKS, DELETE_BATCH_DOCUMENTS } from './batching.js';
import { markCollectionError, markCollectionProcessing, settleCollection } from './collection-state.js';
import { IndexingRepository } from './indexing.repository.js';

/**
 * `delete`: removes a collection and everything under it. Chunks (with their embeddings) and
 * documents go first in batches, each its own short transaction, so no single transaction deletes
 * a million rows and holds locks (or, embedded, the only connection) for minutes. The last
 * transaction deletes the collection row; that cascades the rest, this operation's row included,
 * so operation_completed is published just before it.
 */
export const deleteHandler: JobHandler<OperationConfigOf<'delete'>> = {
  async run(ctx) {
    const started = performance.now();
    const collectionId = ctx.operation.collection_id;
    await ctx.commitBatch(async (tx, repos) => {
      await markCollectionProcessing(repos, collectionId);
      ctx.progress.total_files = await new IndexingRepository(tx).countDocuments(collectionId);
    });
    await deleteInBatches(DELETE_BATCH_CHUNKS, async () => {
      await ctx.checkpoint();
      return ctx.commitBatch((tx) => new IndexingRepository(tx).deleteChunksBatch(collectionId, {}, DELETE_BATCH_CHUNKS));
    });
    await deleteInBatches(DELETE_BATCH_DOCUMENTS, async () => {
      await ctx.checkpoint();
      return ctx.commitBatch(async (tx, repos) => {
        const ids = await new IndexingRepository(tx).documentIdsBatch(collectionId, DELETE_BATCH_DOCUMENTS);
        await repos.documents.deleteMany(ids);
        ctx.progress.processed_files += ids.length;
        return ids.length;
      });
    });
    ctx.addMetric('total_ms', performance.now() - started);
    await ctx.complete(
      async (_tx, repos) => {
        await repos.collections.delete(collectionId);
      },
      { announceFirst: true },
    );
  },

  async onFailed(ctx, errorMessage) {
    await inUnitOfWork(ctx.database, async (tx) => {
      const repos = repositoriesFor(tx);
      if (await repos.collections.findById(ctx.operation.collection_id)) {
        await markCollectionError(repos, ctx.operation.collection_id, `Delete failed: ${errorMessage}`);
      }
    });
  },

  /** A cancelled delete leaves what it had not removed yet; the collection serves that. */
  async onCancelled(ctx) {
    await inUnitOfWork(ctx.database, async (tx) => {
      const repos = repositoriesFor(tx);
      if (await repos.collections.findById(ctx.operation.collection_id)) await settleCollection(repos, ctx.operation.collection_id, 'last operation was cancelled');
    });
  },
};
