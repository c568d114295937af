import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import type { JobContext } from '../jobs/job.context.js';
import type { JobHandler } from '../jobs/job.registry.js';
import type { EmbeddingProviderCache } from './embedding-provider.cache.js';
import type { ReindexOperationConfig } from './job-payloads.js';
import { batchLimitsFromEnv, deleteInBatches, DELETE_BATCH_CHUNKS, intoBatches } from './batching.js';
import { collectionOwnerDocumentRoots } from './owner-document-roots.js';
import { markCollectionProcessing, settleCollection, truncateMessage } from './collection-state.js';
import { chunkRowsFor, prepareDocuments } from './document.processor.js';
import { jobOcrEngine } from './job-ocr.js';
import { IndexingRepository, type ReindexCandidate } from './indexing.repository.js';

type Ctx = JobContext<ReindexOperationConfig>;

/** The new index's settings, fixed at the first attempt and kept in operations.metadata for resumes. */
const reindexTargetSchema = z.object({
  generation: z.number().int().positive(),
  previous_generation: z.number().int().positive(),
  chunk_size: z.number().int().positive(),
  chunk_overlap: z.number().int().min(0),
  embedding_model: z.string(),
  embedding_dimension: z.number().int().positive(),
  switched: z.boolean().default(false),
});
type ReindexTarget = z.infer<typeof reindexTargetSchema>;

/**
 * Blue/green reindex. New chunks and embeddings are written beside the old ones with generation
 * N+1 while search keeps reading `chunks.generation = collections.active_generation` (N). When every
 * document is done, one transaction switches active_generation and the collection's settings and
 * settles document statuses; the old generation is then deleted in batches. Search answers from
 * exactly one complete generation at every moment.
 */
export const createReindexHandler = ({ embedders }: { embedders: EmbeddingProviderCache }): JobHandler<ReindexOperationConfig> => ({
  async run(ctx) {
    const started = performance.now();
    const target = await resolveTarget(ctx, embedders);
    if (!target.switched) {
      await buildGeneration(ctx, target, embedders);
      await switchGeneration(ctx, target);
    }
    // The old generation: invisible to search since the switch; freed in short transactions.
    await deleteInBatches(DELETE_BATCH_CHUNKS, async () => {
      await ctx.checkpoint();
      return ctx.commitBatch((tx) =>
        new IndexingRepository(tx).deleteChunksBatch(ctx.operation.collection_id, { exceptGeneration: target.generation }, DELETE_BATCH_CHUNKS),
      );
    });
    ctx.addMetric('total_ms', performance.now() - started);
    await ctx.complete(async (_tx, repos) => {
      await settleCollection(repos, ctx.operation.collection_id);
    });
  },

  async onFailed(ctx, errorMessage) {
    await abandonGeneration(ctx, `Reindex failed (${errorMessage}); search still uses the previous index`, true);
  },

  async onCancelled(ctx) {
    await abandonGeneration(ctx, 'Reindex cancelled; search still uses the previous index', false);
  },
});

async function resolveTarget(ctx: Ctx, embedders: EmbeddingProviderCache): Promise<ReindexTarget> {
  const stored = reindexTargetSchema.safeParse(ctx.operation.metadata['reindex']);
  if (stored.success) {
    embedders.get(stored.data.embedding_model);
    return stored.data;
  }
  const collection = await inUnitOfWork(ctx.database, (tx) => repositoriesFor(tx).collections.getById(ctx.operation.collection_id), { readOnly: true });
  const chunkSize = ctx.config.chunk_size ?? collection.chunk_size;
  const chunkOverlap = ctx.config.chunk_overlap ?? Math.min(collection.chunk_overlap, chunkSize - 1);
  if (chunkOverlap >= chunkSize) {
    throw new PermanentJobError(`chunk_overlap (${chunkOverlap}) must be smaller than chunk_size (${chunkSize})`);
  }
  const model = ctx.config.embedding_model ?? collection.embedding_model;
  const embedder = embedders.get(model);
  const target: ReindexTarget = {
    generation: collection.active_generation + 1,
    previous_generation: collection.active_generation,
    chunk_size: chunkSize,
    chunk_overlap: chunkOverlap,
    embedding_model: embedder.model,
    embedding_dimension: embedder.dimension,
    switched: false,
  };
  // Chunks already at the target generation belong to an earlier, abandoned reindex: start clean.
  await deleteInBatches(DELETE_BATCH_CHUNKS, () =>
    ctx.commitBatch((tx) => new IndexingRepository(tx).deleteChunksBatch(collection.id, { minGeneration: target.generation }, DELETE_BATCH_CHUNKS)),
  );
  await ctx.commitBatch(async (tx, repos) => {
    await repos.chunks.ensureVectorIndex(target.embedding_dimension);
    await markCollectionProcessing(repos, collection.id);
    await ctx.saveMetadata(tx, { reindex: target });
  });
  return target;
}

async function buildGeneration(ctx: Ctx, target: ReindexTarget, embedders: EmbeddingProviderCache): Promise<void> {
  const collectionId = ctx.operation.collection_id;
  const { candidates, done } = await inUnitOfWork(
    ctx.database,
    async (tx) => {
      const indexing = new IndexingRepository(tx);
      return { candidates: await indexing.listReindexCandidates(collectionId), done: await indexing.documentIdsWithChunks(collectionId, target.generation) };
    },
    { readOnly: true },
  );
  const failedHere = (doc: ReindexCandidate) =>
    (doc.metadata['reindex_failure'] as { operation_id?: string } | undefined)?.operation_id === ctx.operation.id;
  const remaining = candidates.filter((doc) => !done.has(doc.id) && !failedHere(doc));
  ctx.progress.total_files = candidates.length;
  ctx.progress.processed_files = candidates.length - remaining.length;
  ctx.progress.failed_files = candidates.filter(failedHere).length;

  const embedder = embedders.get(target.embedding_model);
  const documentRoots = await collectionOwnerDocumentRoots(ctx, collectionId);
  const limits = batchLimitsFromEnv();
  // File sizes are not re-read here; the stored size is a good enough weight for batching.
  const ocr = jobOcrEngine(ctx.app);
  try {
    for (const batch of intoBatches(remaining, () => 0, limits)) {
      await ctx.checkpoint();
      const prepared = await prepareDocuments(
        batch.map((doc) => ({ ...doc, path: doc.file_path })),
        {
          chunkSize: target.chunk_size,
          chunkOverlap: target.chunk_overlap,
          maxFileSizeBytes: ctx.app.maxFileSizeBytes,
          documentRoots,
          allowDotPaths: ctx.app.allowDotPaths,
          embedder,
          ...(ocr ? { ocr } : {}),
          // Same model and chunking → every chunk is found by its key and nothing is embedded again.
          reuseEmbeddings: (keys) => inUnitOfWork(ctx.database, (tx) => new IndexingRepository(tx).embeddingsByKey(collectionId, keys), { readOnly: true }),
          addMetric: (name, value) => ctx.addMetric(name, value),
        },
      );
      const writeStart = performance.now();
      await ctx.commitBatch(async (tx, repos) => {
        const indexing = new IndexingRepository(tx);
        const ok = prepared.filter((doc) => doc.ok);
        await repos.chunks.deleteByDocuments(ok.map((doc) => doc.input.id), target.generation);
        const chunks = ok.flatMap((doc) =>
          chunkRowsFor(doc.chunks, doc.title, { collectionId, documentId: doc.input.id, generation: target.generation, filePath: doc.input.path }, doc.pageUnit),
        );
        await repos.chunks.insertMany(chunks, { model: target.embedding_model, dimension: target.embedding_dimension });
        const failures = prepared.flatMap((doc) => (doc.ok ? [] : [{ id: doc.input.id, reason: truncateMessage(doc.error, 1000) }]));
        await indexing.markReindexFailures(failures, ctx.operation.id);
        ctx.addMetric('documents', prepared.length);
        ctx.addMetric('chunks', chunks.length);
        ctx.progress.processed_files += prepared.length;
        ctx.progress.failed_files += failures.length;
        ctx.progress.current_file = batch[batch.length - 1]!.file_path;
      });
      ctx.addMetric('write_ms', performance.now() - writeStart);
    }
  } finally {
    await ocr?.close();
  }
}

/** The atomic switch: from this commit on, search reads the new generation with the new settings. */
async function switchGeneration(ctx: Ctx, target: ReindexTarget): Promise<void> {
  await ctx.checkpoint();
  await ctx.commitBatch(async (tx, repos) => {
    const collection = await repos.collections.lockById(ctx.operation.collection_id);
    if (collection.active_generation !== target.previous_generation) {
      throw new PermanentJobError(
        `Collection generation moved from ${target.previous_generation} to ${collection.active_generation} during the reindex`,
      );
    }
    await repos.collections.update(collection.id, {
      active_generation: target.generation,
      chunk_size: target.chunk_size,
      chunk_overlap: target.chunk_overlap,
      embedding_model: target.embedding_model,
      embedding_dimension: target.embedding_dimension,
      needs_reindex: false,
    });
    await new IndexingRepository(tx).settleDocumentsAfterSwitch(collection.id, target.generation);
    await repos.collections.refreshCounters(collection.id);
    await ctx.saveMetadata(tx, { reindex: { ...target, switched: true } });
  });
  target.switched = true;
}

/**
 * After a failed or cancelled reindex: drop the half-built generation, keep the old one serving.
 * A failure leaves the collection `degraded` (it serves, but not with the settings asked for).
 */
async function abandonGeneration(ctx: Ctx, message: string, degrade: boolean): Promise<void> {
  const stored = reindexTargetSchema.safeParse(ctx.operation.metadata['reindex']);
  const collectionId = ctx.operation.collection_id;
  if (stored.success && !stored.data.switched) {
    // Not ctx.commitBatch: the operation already ended (failed or cancelled), this worker holds it no more.
    await deleteInBatches(DELETE_BATCH_CHUNKS, () =>
      inUnitOfWork(ctx.database, (tx) => new IndexingRepository(tx).deleteChunksBatch(collectionId, { generation: stored.data.generation }, DELETE_BATCH_CHUNKS)),
    );
  }
  await inUnitOfWork(ctx.database, async (tx) => {
    const repos = repositoriesFor(tx);
    const collection = await settleCollection(repos, collectionId);
    await repos.collections.update(collectionId, {
      status: degrade ? 'degraded' : collection.status,
      status_message: truncateMessage(message),
    });
  });
}
