import { z } from 'zod';

/**
 * Batch sizes of the pipeline. A batch is the unit of commit: one short transaction writes its
 * documents, chunks and embeddings, so a crash or a cancel loses at most one batch of work.
 * 32 documents (~60 chunks of 1,000 chars, or 4 MB of files) keep a batch's embedding call at a
 * few seconds with the default model, so cancellation and draining answer quickly; larger embed
 * calls keep both model threads busy (USE-lite, 2 threads: 35 texts/s in calls of 120 vs 27 in
 * calls of 30), and the write transaction stays a few percent of wall time (bench:ingest).
 */
const batchEnvSchema = z.object({
  SEMANTIK_INDEX_BATCH_DOCUMENTS: z.coerce.number().int().min(1).max(10_000).default(32),
  SEMANTIK_INDEX_BATCH_BYTES: z.coerce.number().int().min(1).default(4 * 1024 * 1024),
});

export interface BatchLimits {
  documents: number;
  bytes: number;
}

export function batchLimitsFromEnv(env: Record<string, string | undefined> = process.env): BatchLimits {
  const parsed = batchEnvSchema.parse(env);
  return { documents: parsed.SEMANTIK_INDEX_BATCH_DOCUMENTS, bytes: parsed.SEMANTIK_INDEX_BATCH_BYTES };
}

/** Splits items into batches of at most `limits.documents` items and about `limits.bytes` bytes. */
export function intoBatches<T>(items: readonly T[], sizeOf: (item: T) => number, limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Math.max(0, sizeOf(item));
    if (current.length > 0 && (current.length >= limits.documents || bytes + size > limits.bytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Rows deleted per transaction by clean-up loops (delete, remove_source, old generations). */
export const DELETE_BATCH_CHUNKS = 5_000;
export const DELETE_BATCH_DOCUMENTS = 500;

/**
 * The delete loop of every handler: `deleteBatch` removes at most `batchSize` rows in its own short
 * transaction and returns how many it removed; a short batch means nothing is left. Returns the total.
 */
export async function deleteInBatches(batchSize: number, deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
