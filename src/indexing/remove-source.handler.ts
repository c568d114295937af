import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import type { JobHandler } from '../jobs/job.registry.js';
import type { RemoveSourceOperationConfig } from './job-payloads.js';
import { deleteInBatches, DELETE_BATCH_DOCUMENTS } from './batching.js';
import { markCollectionError, markCollectionProcessing, settleCollection } from './collection-state.js';
import { IndexingRepository } from './indexing.repository.js';

/**
 * `remove_source`: deletes the source's documents (their chunks and embeddings cascade) in
 * batches of 500 documents per transaction, then the source row. Searches stop returning the
 * source's documents batch by batch; counters are recomputed at the end.
 */
export const removeSourceHandler: JobHandler<RemoveSourceOperationConfig> = {
  async run(ctx) {
    const started = performance.now();
    const collectionId = ctx.operation.collection_id;
    const source = await ctx.commitBatch(async (tx, repos) => {
      const found =
        ctx.config.source_id !== undefined
          ? await repos.sources.findById(ctx.config.source_id)
          : await repos.sources.findByPath(collectionId, path.resolve(ctx.config.source_path!));
      if (!found || found.collection_id !== collectionId) return undefined;
      await markCollectionProcessing(repos, collectionId);
      ctx.progress.total_files = ctx.progress.processed_files + (await new IndexingRepository(tx).countDocuments(collectionId, found.id));
      return found;
    });
    if (!source) {
      // Already gone (a resumed run that finished the deletes, or a duplicate request): nothing to do.
      ctx.logger.info({ operationId: ctx.operation.id }, 'remove_source: source not found; nothing to remove');
      await ctx.complete(async (_tx, repos) => {
        await settleCollection(repos, collectionId);
      });
      return;
    }
    const removed = await deleteInBatches(DELETE_BATCH_DOCUMENTS, async () => {
      await ctx.checkpoint();
      return ctx.commitBatch(async (tx, repos) => {
        const ids = await new IndexingRepository(tx).documentIdsBatch(collectionId, DELETE_BATCH_DOCUMENTS, source.id);
        await repos.documents.deleteMany(ids);
        ctx.progress.processed_files += ids.length;
        return ids.length;
      });
    });
    ctx.addMetric('removed_documents', removed);
    ctx.addMetric('total_ms', performance.now() - started);
    await ctx.complete(async (_tx, repos) => {
      await repos.sources.delete(source.id);
      await settleCollection(repos, collectionId);
    });
  },

  async onFailed(ctx, errorMessage) {
    await inUnitOfWork(ctx.database, (tx) => markCollectionError(repositoriesFor(tx), ctx.operation.collection_id, errorMessage));
  },

  async onCancelled(ctx) {
    await inUnitOfWork(ctx.database, (tx) => settleCollection(repositoriesFor(tx), ctx.operation.collection_id, 'source removal was cancelled part-way'));
  },
};
