import { z } from 'zod';
import { OPERATION_TYPES, type OperationType } from '../db/schema.js';
import { globListProblems } from '../indexing/source-glob.js';
import { PermanentJobError, type JobContext } from './job.context.js';

/**
 * The one typed registry of job kinds: operation type → schema of `operations.config` + handler.
 * The API validates the config it stores with the same schemas (`operationConfigSchemas`), and the
 * worker re-validates at claim time (rows may come from older versions or a migrated database).
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

const deleteConfigSchema = z.looseObject({});

/** `sync`: one source (`source_id`) or, without it, every source of the collection. */
export const SYNC_REASONS = ['manual', 'schedule', 'watch'] as const;
const syncConfigSchema = z.looseObject({
  source_id: z.number().int().positive().optional(),
  source_path: z.string().min(1).optional(),
  reason: z.enum(SYNC_REASONS).default('manual'),
});

export const operationConfigSchemas = {
  index: indexConfigSchema,
  append: indexConfigSchema,
  reindex: reindexConfigSchema,
  remove_source: removeSourceConfigSchema,
  delete: deleteConfigSchema,
  sync: syncConfigSchema,
} satisfies Record<OperationType, z.ZodType>;

export type OperationConfigOf<T extends OperationType> = z.output<(typeof operationConfigSchemas)[T]>;
export type IndexOperationConfig = OperationConfigOf<'index'>;
export type ReindexOperationConfig = OperationConfigOf<'reindex'>;
export type RemoveSourceOperationConfig = OperationConfigOf<'remove_source'>;
export type SyncOperationConfig = OperationConfigOf<'sync'>;

export interface JobHandler<T extends OperationType> {
  /** Does the work in batches (ctx.commitBatch), then returns; the worker marks the operation completed. */
  run(ctx: JobContext<OperationConfigOf<T>>): Promise<void>;
  /** After a permanent failure was recorded: put the collection in a truthful state. */
  onFailed?(ctx: JobContext<OperationConfigOf<T>>, errorMessage: string): Promise<void>;
  /** After a cancellation was noticed at a batch boundary. */
  onCancelled?(ctx: JobContext<OperationConfigOf<T>>): Promise<void>;
}

export type JobHandlers = { [T in OperationType]: JobHandler<T> };

export class JobRegistryError extends Error {
  override name = 'JobRegistryError';
}

/**
 * Start-up check: every operation type the database can hold has a handler. A missing one would
 * otherwise show up as operations stuck in `pending` forever.
 */
export function assertCompleteRegistry(handlers: Partial<JobHandlers>): asserts handlers is JobHandlers {
  const missing = OPERATION_TYPES.filter((type) => typeof handlers[type]?.run !== 'function');
  if (missing.length > 0) {
    throw new JobRegistryError(
      `No job handler for operation type(s) ${missing.join(', ')}. ` +
        'Register one in src/indexing/indexing.handlers.ts (the map passed to startWorker) — every type in OPERATION_TYPES needs a handler.',
    );
  }
}

/** Parses an operation's stored config for its type; a ZodError names the bad fields. */
export function parseOperationConfig<T extends OperationType>(type: T, config: unknown): OperationConfigOf<T> {
  return (operationConfigSchemas[type] as unknown as z.ZodType<OperationConfigOf<T>>).parse(config ?? {});
}
