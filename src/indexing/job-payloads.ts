import { z } from 'zod';
import type { OperationType } from '../db/schema.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import type { JobConfigOf, JobPayloadOf, JobPayloadSchemas } from '../jobs/job.registry.js';
import { globListProblems } from './source-glob.js';

/**
 * The payload of every operation type: the schemas the job registry is filled with
 * (src/worker/worker.ts). Enqueueing parses with them at the call site (enqueueOperation in
 * src/operations/operation.service.ts) and the worker again at claim time.
 */

/**
 * An include or exclude list: globs against the path relative to the source (a pattern without `/`
 * matches the file name), with the syntax and limits of src/indexing/source-glob.ts — checked here
 * for the API body and again for every job payload, so a pattern that could stall a scan is a 422
 * (or a permanent job failure), never a running scan.
 */
export const globListSchema = z.array(z.string()).superRefine((patterns, ctx) => {
  for (const problem of globListProblems(patterns)) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: problem.index === undefined ? [] : [problem.index] });
  }
});

/** How a directory source is walked; the contract's `POST …/sources` body `config`. */
export const sourceScanConfigSchema = z.object({
  recursive: z.boolean().default(true),
  include: globListSchema.default([]),
  exclude: globListSchema.default([]),
});
export type SourceScanConfig = z.infer<typeof sourceScanConfigSchema>;

/**
 * A source's stored `config` (`collection_sources.config`, possibly written by an older version
 * with patterns that are refused now): a PermanentJobError with the fix, so the operation fails
 * once instead of being retried.
 */
export function parseStoredScanConfig(sourcePath: string, config: unknown): SourceScanConfig {
  const parsed = sourceScanConfigSchema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  throw new PermanentJobError(
    `Source "${sourcePath}" has an unusable stored config (${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}); ` +
      'add the source again with valid include/exclude patterns (POST /api/v2/collections/{id}/sources replaces its config)',
  );
}

/**
 * `index` / `append`: `{source_path, config?: {recursive, include, exclude}}` — the request body of
 * `POST /collections/{id}/sources` as is. `source_id` is optional (the handler upserts the source row
 * by path). The scan options are also accepted at the top level for callers that flatten them.
 */
const indexConfigSchema = z
  .looseObject({
    source_path: z.string().min(1, 'source_path is required'),
    source_id: z.number().int().positive().optional(),
    config: sourceScanConfigSchema.partial().optional(),
    recursive: z.boolean().optional(),
    include: globListSchema.optional(),
    exclude: globListSchema.optional(),
  })
  .transform((raw) => ({
    source_path: raw.source_path,
    source_id: raw.source_id,
    /** Undefined: use the stored source's config (or the defaults for a new source). */
    scan: hasScanOptions(raw) ? sourceScanConfigSchema.parse({ ...pickScan(raw), ...raw.config }) : undefined,
  }));

function pickScan(raw: { recursive?: boolean; include?: string[]; exclude?: string[] }) {
  return Object.fromEntries(Object.entries({ recursive: raw.recursive, include: raw.include, exclude: raw.exclude }).filter(([, v]) => v !== undefined));
}
function hasScanOptions(raw: { config?: unknown; recursive?: boolean; include?: string[]; exclude?: string[] }): boolean {
  return raw.config !== undefined || raw.recursive !== undefined || raw.include !== undefined || raw.exclude !== undefined;
}

const reindexConfigSchema = z
  .looseObject({
    chunk_size: z.number().int().positive().optional(),
    chunk_overlap: z.number().int().min(0).optional(),
    embedding_model: z.string().min(1).optional(),
  });

const removeSourceConfigSchema = z
  .looseObject({ source_path: z.string().min(1).optional(), source_id: z.number().int().positive().optional() })
  .refine((c) => c.source_path !== undefined || c.source_id !== undefined, { message: 'source_path or source_id is required' });

/** `collection_name`: the name of the collection being deleted, kept on the row for the operations list. */
const deleteConfigSchema = z.looseObject({ collection_name: z.string().optional() });

/** `sync`: one source (`source_id`) or, without it, every source of the collection. */
export const SYNC_REASONS = ['manual', 'schedule', 'watch'] as const;
const syncConfigSchema = z.looseObject({
  source_id: z.number().int().positive().optional(),
  source_path: z.string().min(1).optional(),
  reason: z.enum(SYNC_REASONS).default('manual'),
});

/** The registry's schemas (src/jobs/job.registry.ts): what each operation type's `operations.config` holds. */
export const operationPayloadSchemas = {
  index: indexConfigSchema,
  append: indexConfigSchema,
  reindex: reindexConfigSchema,
  remove_source: removeSourceConfigSchema,
  delete: deleteConfigSchema,
  sync: syncConfigSchema,
} satisfies JobPayloadSchemas;

export type OperationPayloadSchemas = typeof operationPayloadSchemas;
/** What enqueueing an operation of type T takes (checked at compile time and parsed at the call site). */
export type OperationPayloadOf<T extends OperationType> = JobPayloadOf<OperationPayloadSchemas, T>;
/** What the handler of type T receives. */
export type OperationConfigOf<T extends OperationType> = JobConfigOf<OperationPayloadSchemas, T>;
export type IndexOperationConfig = OperationConfigOf<'index'>;
export type ReindexOperationConfig = OperationConfigOf<'reindex'>;
export type RemoveSourceOperationConfig = OperationConfigOf<'remove_source'>;
export type SyncOperationConfig = OperationConfigOf<'sync'>;
