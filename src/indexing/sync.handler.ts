import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import type { JobHandler } from '../jobs/job.registry.js';
import type { EmbeddingProviderCache } from './embedding-provider.cache.js';
import { parseStoredScanConfig, type SyncOperationConfig } from './job-payloads.js';
import { markCollectionError, markCollectionProcessing, settleCollection } from './collection-state.js';
import { indexSource, prepareEmbeddingColumn, type SourceSyncCounts } from './index.handler.js';
import { collectionOwnerDocumentRoots } from './owner-document-roots.js';

/** The operation's `metadata.result`: totals plus one entry per source. */
export interface SyncResult extends Omit<SourceSyncCounts, 'failed_files'> {
  failed_files: SourceSyncCounts['failed_files'];
  sources: ({ source_id: number; source_path: string; status: 'synced' | 'missing' | 'empty_kept' } & Partial<SourceSyncCounts>)[];
  /** Source folders that were not found: nothing of theirs was removed. */
  missing_sources: string[];
}

/** ENOENT/ENOTDIR: the folder is gone (or its disk unmounted). Other errors are left to the scanner. */
async function folderIsMissing(sourcePath: string): Promise<boolean> {
  try {
    await fs.stat(sourcePath);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

/**
 * `sync`: brings one source (or every source of the collection) in step with its folder — the
 * same per-source pass as `append` (indexSource: stat shortcut, content-hash plan, batches,
 * vanished/now-excluded documents removed), with two guards against losing an index to a missing
 * disk: a source folder that no longer exists, or that lists no file while it has documents,
 * removes nothing; the operation completes, the collection becomes `degraded` with a message, and
 * the source is listed in `result.missing_sources`. Resumable like append: a re-run skips what
 * committed (its counts then describe the last attempt only).
 */
export const createSyncHandler = ({ embedders }: { embedders: EmbeddingProviderCache }): JobHandler<SyncOperationConfig> => ({
  async run(ctx) {
    const started = performance.now();
    const { collection, sources } = await ctx.commitBatch(async (_tx, repos) => {
      const collection = await repos.collections.getById(ctx.operation.collection_id);
      const all = await repos.sources.listByCollection(collection.id);
      const sources = ctx.config.source_id !== undefined ? all.filter((s) => s.id === ctx.config.source_id) : all;
      if (ctx.config.source_id !== undefined && sources.length === 0) {
        throw new PermanentJobError(`Source ${ctx.config.source_path ?? ctx.config.source_id} was removed from the collection before it could be synced`);
      }
      await markCollectionProcessing(repos, collection.id);
      return { collection, sources };
    });
    const embedder = embedders.get(collection.embedding_model);
    await prepareEmbeddingColumn(ctx, collection, embedder);
    const documentRoots = await collectionOwnerDocumentRoots(ctx, collection.id);

    const result: SyncResult = { added: 0, changed: 0, removed: 0, unchanged: 0, moved: 0, failed: 0, failed_files: [], sources: [], missing_sources: [] };
    const notes: string[] = [];
    const synced: number[] = [];
    for (const source of sources) {
      await ctx.checkpoint();
      const base = { source_id: source.id, source_path: source.source_path };
      if (await folderIsMissing(source.source_path)) {
        result.missing_sources.push(source.source_path);
        result.sources.push({ ...base, status: 'missing' });
        notes.push(`source folder ${source.source_path} was not found; its documents were kept (restore it, or remove the source to drop them)`);
        continue;
      }
      const scan = parseStoredScanConfig(source.source_path, source.config);
      const outcome = await indexSource(ctx, {
        collection,
        source,
        scan,
        embedder,
        documentRoots,
        metadataKey: `scan_source_${source.id}`,
        keepDocumentsOfEmptyFolder: true,
      });
      notes.push(...outcome.notes);
      if (outcome.keptEmptyFolder) {
        result.missing_sources.push(source.source_path);
        result.sources.push({ ...base, status: 'empty_kept' });
        continue;
      }
      synced.push(source.id);
      const { failed_files, ...counts } = outcome.counts;
      result.sources.push({ ...base, status: 'synced', ...outcome.counts });
      for (const key of ['added', 'changed', 'removed', 'unchanged', 'moved', 'failed'] as const) result[key] += counts[key];
      result.failed_files.push(...failed_files.slice(0, Math.max(0, 50 - result.failed_files.length)));
    }
    ctx.addMetric('total_ms', performance.now() - started);

    await ctx.complete(async (tx, repos) => {
      await ctx.saveMetadata(tx, { result });
      const now = new Date();
      for (const id of synced) await repos.sources.refreshStats(id, now);
      await settleCollection(repos, collection.id, notes.length > 0 ? notes.join('; ') : undefined, { degraded: result.missing_sources.length > 0 });
    });
  },

  async onFailed(ctx, errorMessage) {
    await inUnitOfWork(ctx.database, (tx) => markCollectionError(repositoriesFor(tx), ctx.operation.collection_id, errorMessage));
  },

  async onCancelled(ctx) {
    await inUnitOfWork(ctx.database, (tx) => settleCollection(repositoriesFor(tx), ctx.operation.collection_id, 'last sync was cancelled'));
  },
});
