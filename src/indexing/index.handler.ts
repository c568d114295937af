import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { repositoriesFor } from '../db/repositories.js';
import type { CollectionRow, CollectionSourceRow } from '../db/schema.js';
import type { DocumentFingerprint } from '../documents/document.repository.js';
import type { EmbeddingProvider } from '../ingest/index.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import type { JobContext } from '../jobs/job.context.js';
import type { JobHandler } from '../jobs/job.registry.js';
import type { EmbeddingProviderCache } from './embedding-provider.cache.js';
import { parseStoredScanConfig, type IndexOperationConfig, type SourceScanConfig } from './job-payloads.js';
import { batchLimitsFromEnv, deleteInBatches, DELETE_BATCH_CHUNKS, DELETE_BATCH_DOCUMENTS, intoBatches } from './batching.js';
import { markCollectionError, markCollectionProcessing, settleCollection } from './collection-state.js';
import { chunkRowsFor, documentMetadata, prepareDocuments } from './document.processor.js';
import { jobOcrEngine } from './job-ocr.js';
import { IndexingRepository, type ProcessedDocumentRow } from './indexing.repository.js';
import { isInside } from '../document-roots/document-roots.js';
import { collectionOwnerDocumentRoots } from './owner-document-roots.js';
import { scanSource, type ScannedFile } from './source.scanner.js';

/** Refused files and unreadable folders listed in operations.metadata for the UI; the counts are always exact. */
const MAX_REFUSED_LISTED = 50;
/** Counters are recomputed at most this often during a run (and always at the end). */
const COUNTER_REFRESH_MS = 2_000;

type Ctx = JobContext<IndexOperationConfig>;

interface PlannedFile extends ScannedFile {
  /** Documents holding an older version of this path, replaced in the same transaction. */
  supersedes: string[];
}

/**
 * `index` and `append`: scan one source, skip files whose content is already indexed (or already
 * known to be bad), process new and changed files in batches, then remove documents whose files
 * vanished. Safe to run again after a crash: everything committed is skipped by content hash.
 */
export const createIndexHandler = ({ embedders }: { embedders: EmbeddingProviderCache }): JobHandler<IndexOperationConfig> => ({
  async run(ctx) {
    const started = performance.now();
    const { collection, source, scan } = await beginIndexing(ctx);
    const embedder = embedders.get(collection.embedding_model);
    await prepareEmbeddingColumn(ctx, collection, embedder);
    const documentRoots = await collectionOwnerDocumentRoots(ctx, collection.id);
    const outcome = await indexSource(ctx, { collection, source, scan, embedder, documentRoots, metadataKey: 'scan' });
    ctx.addMetric('total_ms', performance.now() - started);
    await ctx.complete(async (tx, repos) => {
      await ctx.saveMetadata(tx, { result: outcome.counts });
      await repos.sources.refreshStats(source.id, new Date());
      await settleCollection(repos, collection.id, outcome.notes.length > 0 ? outcome.notes.join('; ') : undefined);
    });
  },

  async onFailed(ctx, errorMessage) {
    await inUnitOfWork(ctx.database, (tx) => markCollectionError(repositoriesFor(tx), ctx.operation.collection_id, errorMessage));
  },

  async onCancelled(ctx) {
    await inUnitOfWork(ctx.database, (tx) => settleCollection(repositoriesFor(tx), ctx.operation.collection_id, 'last operation was cancelled'));
  },
});

/** What one source's run did: the operation's `metadata.result` (per source for a sync). */
export interface SourceSyncCounts {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  /** Unchanged content found under a new path: the document moved, nothing re-embedded. */
  moved: number;
  failed: number;
  /** Up to MAX_REFUSED_LISTED failed files of this run with their reason. */
  failed_files: { path: string; reason: string }[];
}

export interface IndexSourceInput {
  collection: CollectionRow;
  source: CollectionSourceRow;
  scan: SourceScanConfig;
  embedder: EmbeddingProvider;
  documentRoots: readonly string[];
  /** operations.metadata key for this source's scan summary. */
  metadataKey: string;
  /**
   * Sync: a folder that now lists no file at all while documents of it are indexed (an unmounted
   * disk leaves its empty mount point) keeps them and says so, instead of emptying the source.
   */
  keepDocumentsOfEmptyFolder?: boolean;
}

/**
 * Scan one source, skip files whose content is already indexed (or already known to be bad) —
 * without reading files whose size and mtime match their document — process new and changed files
 * in batches, then remove documents whose files vanished or are now excluded. Safe to run again
 * after a crash: everything committed is skipped by content hash.
 */
export async function indexSource(
  ctx: JobContext<unknown>,
  input: IndexSourceInput,
): Promise<{ counts: SourceSyncCounts; notes: string[]; keptEmptyFolder?: boolean }> {
  const { collection, source, scan, embedder, documentRoots } = input;
  const fingerprints = await inUnitOfWork(ctx.database, (tx) => repositoriesFor(tx).documents.listFingerprints(collection.id), { readOnly: true });
  const scanStart = performance.now();
  const scanned = await scanSource(source.source_path, {
    ...scan,
    documentRoots,
    maxFileSizeBytes: ctx.app.maxFileSizeBytes,
    allowDotPaths: ctx.app.allowDotPaths,
    known: knownFilesOf(fingerprints, source.id),
  });
  ctx.addMetric('scan_ms', performance.now() - scanStart);
  ctx.addMetric('files_hashed', scanned.hashed);

  const indexedHere = fingerprints.filter((doc) => doc.source_id === source.id).length;
  if (input.keepDocumentsOfEmptyFolder && scanned.files.length === 0 && scanned.unreadableFolders.length === 0 && indexedHere > 0) {
    const counts = { added: 0, changed: 0, removed: 0, unchanged: 0, moved: 0, failed: 0, failed_files: [] };
    const note = `source folder ${source.source_path} holds no files now; its ${indexedHere} document(s) were kept (remove the source to drop them)`;
    return { counts, notes: [note], keptEmptyFolder: true };
  }
  const plan = planChanges(scanned.files, fingerprints, source.id, scanned.unreadableFolders.map((f) => f.path));
  // Refused files (symlinks out of the roots) are failures of the source's first scan; later
  // appends list them in metadata but count only what changed. Once per operation, not per attempt.
  const countRefused = source.last_indexed_at === null && ctx.operation.metadata[input.metadataKey] === undefined;
  const counts: SourceSyncCounts = {
    added: plan.toProcess.filter((f) => f.supersedes.length === 0).length,
    changed: plan.toProcess.filter((f) => f.supersedes.length > 0).length,
    removed: plan.vanished.length,
    unchanged: plan.unchanged,
    moved: plan.moved,
    failed: 0,
    failed_files: [],
  };

  await ctx.commitBatch(async (tx) => {
    await new IndexingRepository(tx).updateLocations(plan.relocations);
    if (countRefused) {
      ctx.progress.processed_files += scanned.refused.length;
      ctx.progress.failed_files += scanned.refused.length;
    }
    ctx.progress.total_files = ctx.progress.processed_files + plan.toProcess.length;
    await ctx.saveMetadata(tx, {
      [input.metadataKey]: {
        source_id: source.id,
        scanned_files: scanned.files.length,
        hashed_files: scanned.hashed,
        unchanged_files: plan.unchanged,
        files_to_process: plan.toProcess.length,
        vanished_documents: plan.vanished.length,
        refused_count: scanned.refused.length,
        refused: scanned.refused.slice(0, MAX_REFUSED_LISTED),
        unreadable_folders_count: scanned.unreadableFolders.length,
        unreadable_folders: scanned.unreadableFolders.slice(0, MAX_REFUSED_LISTED),
      },
    });
  });

  const limits = batchLimitsFromEnv();
  let lastCounterRefresh = performance.now();
  // One OCR worker for the whole source, started only if a page needs it; always terminated.
  const ocr = jobOcrEngine(ctx.app);
  try {
  for (const batch of intoBatches(plan.toProcess, (f) => f.size, limits)) {
    await ctx.checkpoint();
    const prepared = await prepareDocuments(batch, {
      chunkSize: collection.chunk_size,
      chunkOverlap: collection.chunk_overlap,
      maxFileSizeBytes: ctx.app.maxFileSizeBytes,
      documentRoots,
      allowDotPaths: ctx.app.allowDotPaths,
      embedder,
      ...(ocr ? { ocr } : {}),
      reuseEmbeddings: (keys) => inUnitOfWork(ctx.database, (tx) => new IndexingRepository(tx).embeddingsByKey(collection.id, keys), { readOnly: true }),
      addMetric: (name, value) => ctx.addMetric(name, value),
    });
    const writeStart = performance.now();
    await ctx.commitBatch(async (tx, repos) => {
      const indexing = new IndexingRepository(tx);
      await repos.documents.deleteMany(batch.flatMap((f) => f.supersedes));
      const rows: ProcessedDocumentRow[] = prepared.map((doc) => ({
        collection_id: collection.id,
        source_id: source.id,
        file_path: doc.input.path,
        file_name: path.basename(doc.input.path),
        file_size: doc.input.size,
        mime_type: doc.mimeType,
        content_hash: doc.input.contentHash,
        file_modified_at: doc.input.modifiedAt,
        status: doc.ok ? 'completed' : 'failed',
        error_message: doc.ok ? null : doc.error,
        chunk_count: doc.ok ? doc.chunks.length : 0,
        metadata: doc.ok ? documentMetadata(doc) : {},
      }));
      const ids = new Map((await indexing.upsertProcessed(rows)).map((r) => [r.content_hash, r.id]));
      // A document re-processed after a crash or an earlier failure drops what it had first.
      await repos.chunks.deleteByDocuments([...ids.values()], collection.active_generation);
      const chunks = prepared.flatMap((doc) =>
        doc.ok
          ? chunkRowsFor(
              doc.chunks,
              doc.title,
              {
                collectionId: collection.id,
                documentId: ids.get(doc.input.contentHash)!,
                generation: collection.active_generation,
                filePath: doc.input.path,
              },
              doc.pageUnit,
            )
          : [],
      );
      await repos.chunks.insertMany(chunks, { model: embedder.model, dimension: embedder.dimension });
      ctx.addMetric('documents', prepared.length);
      ctx.addMetric('chunks', chunks.length);
      ctx.progress.processed_files += prepared.length;
      ctx.progress.failed_files += prepared.filter((d) => !d.ok).length;
      ctx.progress.current_file = batch[batch.length - 1]!.path;
      if (performance.now() - lastCounterRefresh >= COUNTER_REFRESH_MS) {
        await repos.collections.refreshCounters(collection.id);
        lastCounterRefresh = performance.now();
      }
    });
    for (const doc of prepared) {
      if (doc.ok) continue;
      counts.failed++;
      if (counts.failed_files.length < MAX_REFUSED_LISTED) counts.failed_files.push({ path: doc.input.path, reason: doc.error });
    }
    ctx.addMetric('write_ms', performance.now() - writeStart);
  }
  } finally {
    await ocr?.close();
  }

  for (let i = 0; i < plan.vanished.length; i += DELETE_BATCH_DOCUMENTS) {
    await ctx.checkpoint();
    const ids = plan.vanished.slice(i, i + DELETE_BATCH_DOCUMENTS);
    await ctx.commitBatch((_tx, repos) => repos.documents.deleteMany(ids));
  }
  ctx.addMetric('removed_documents', plan.vanished.length);

  const notes = [
    scanned.refused.length > 0 ? `${scanned.refused.length} file(s) refused: outside the document roots` : '',
    scanned.unreadableFolders.length > 0 ? `${scanned.unreadableFolders.length} folder(s) could not be read (see the operation's scan metadata); their documents were kept as they were` : '',
  ].filter(Boolean);
  return { counts, notes };
}

/**
 * The stat shortcut: a file whose path, size and mtime equal its document's is taken to hold the
 * same bytes and is not read (rsync's default rule). Only documents of this source that are
 * settled (completed/failed) qualify; a pending one is hashed again.
 */
function knownFilesOf(fingerprints: readonly DocumentFingerprint[], sourceId: number): Map<string, { size: number; modifiedMs: number; contentHash: string }> {
  const known = new Map<string, { size: number; modifiedMs: number; contentHash: string }>();
  for (const doc of fingerprints) {
    if (doc.source_id !== sourceId || !doc.file_modified_at || (doc.status !== 'completed' && doc.status !== 'failed')) continue;
    known.set(doc.file_path, { size: Number(doc.file_size), modifiedMs: doc.file_modified_at.getTime(), contentHash: doc.content_hash });
  }
  return known;
}

/**
 * First short transaction: the source row (created from the operation's config when the API has
 * not made it yet), collection status `processing`, and chunks of generations other than the
 * active one (left by a cancelled or failed reindex) queued for deletion.
 */
async function beginIndexing(ctx: Ctx): Promise<{ collection: CollectionRow; source: CollectionSourceRow; scan: SourceScanConfig }> {
  const sourcePath = path.resolve(ctx.config.source_path);
  const result = await ctx.commitBatch(async (_tx, repos) => {
    const collection = await repos.collections.getById(ctx.operation.collection_id);
    let source = ctx.config.source_id !== undefined ? await repos.sources.findById(ctx.config.source_id) : undefined;
    source ??= await repos.sources.findByPath(collection.id, sourcePath);
    if (!source || ctx.config.scan) {
      source = await repos.sources.upsert({
        collection_id: collection.id,
        source_path: source?.source_path ?? sourcePath,
        config: ctx.config.scan ?? parseStoredScanConfig(source?.source_path ?? sourcePath, source?.config),
      });
    }
    await markCollectionProcessing(repos, collection.id);
    return { collection, source, scan: parseStoredScanConfig(source.source_path, source.config) };
  });
  // Leftovers of an abandoned reindex are invisible to search but take space; drop them in batches.
  await deleteInBatches(DELETE_BATCH_CHUNKS, () =>
    ctx.commitBatch((tx) =>
      new IndexingRepository(tx).deleteChunksBatch(result.collection.id, { exceptGeneration: result.collection.active_generation }, DELETE_BATCH_CHUNKS),
    ),
  );
  return result;
}

/**
 * Records the model's dimension on a collection that has none yet, refuses a model whose
 * dimension differs from the stored vectors (that needs a reindex), and makes sure the partial
 * HNSW index for the dimension exists.
 */
export async function prepareEmbeddingColumn(ctx: JobContext<unknown>, collection: CollectionRow, embedder: EmbeddingProvider): Promise<void> {
  if (collection.embedding_dimension !== null && collection.embedding_dimension !== embedder.dimension) {
    throw new PermanentJobError(
      `Collection "${collection.name}" holds ${collection.embedding_dimension}-d vectors but model ${embedder.model} makes ` +
        `${embedder.dimension}-d ones; run a reindex to change models`,
    );
  }
  await ctx.commitBatch(async (_tx, repos) => {
    if (collection.embedding_dimension === null) {
      await repos.collections.update(collection.id, { embedding_dimension: embedder.dimension });
      collection.embedding_dimension = embedder.dimension;
    }
    await repos.chunks.ensureVectorIndex(embedder.dimension);
  });
}

/**
 * Decides, by content hash, what the scan means for the collection's documents. Documents under
 * `unreadableFolders` are never vanished: a folder that could not be listed this time (a permission
 * change, a flaky mount) says nothing about its files, and removing them would lose their index on
 * a transient error.
 */
export function planChanges(files: readonly ScannedFile[], existing: readonly DocumentFingerprint[], sourceId: number, unreadableFolders: readonly string[] = []) {
  const byHash = new Map(existing.map((doc) => [doc.content_hash, doc]));
  const byPath = new Map<string, DocumentFingerprint[]>();
  for (const doc of existing) byPath.set(doc.file_path, [...(byPath.get(doc.file_path) ?? []), doc]);
  const scannedHashes = new Set(files.map((f) => f.contentHash));
  const seen = new Set<string>();
  const toProcess: PlannedFile[] = [];
  const relocations: { id: string; file_path: string; file_name: string; source_id: number; file_modified_at: Date }[] = [];
  const superseded = new Set<string>();
  let unchanged = 0;
  let moved = 0;

  for (const file of files) {
    if (seen.has(file.contentHash)) {
      unchanged++; // a second copy of content already in this scan: one document per content
      continue;
    }
    seen.add(file.contentHash);
    const known = byHash.get(file.contentHash);
    if (known && (known.status === 'completed' || known.status === 'failed')) {
      unchanged++;
      // A moved file gets its new path; a touched one (same bytes, new mtime) its new mtime, so the
      // next scan's stat shortcut skips it instead of hashing it on every sync.
      const touched = known.file_modified_at != null && known.file_modified_at.getTime() !== file.modifiedAt.getTime();
      const relocated = known.file_path !== file.path || known.source_id !== sourceId;
      if (relocated) moved++;
      if (relocated || touched) {
        relocations.push({ id: known.id, file_path: file.path, file_name: path.basename(file.path), source_id: sourceId, file_modified_at: file.modifiedAt });
      }
      continue;
    }
    const supersedes = (byPath.get(file.path) ?? []).filter((doc) => !scannedHashes.has(doc.content_hash)).map((doc) => doc.id);
    supersedes.forEach((id) => superseded.add(id));
    toProcess.push({ ...file, supersedes });
  }
  const vanished = existing
    .filter((doc) => doc.source_id === sourceId && !scannedHashes.has(doc.content_hash) && !superseded.has(doc.id))
    .filter((doc) => !unreadableFolders.some((folder) => isInside(doc.file_path, folder)))
    .map((doc) => doc.id);
  return { toProcess, relocations, vanished, unchanged, moved };
}
