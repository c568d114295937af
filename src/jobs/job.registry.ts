import { z } from 'zod';
import { OPERATION_TYPES, type OperationType } from '../db/schema.js';
import { ValidationError } from '../errors/domain-errors.js';
import { JobRegistryError, PermanentJobError } from './job-errors.js';
import type { JobContext } from './job.context.js';

/**
 * The typed registry of job kinds, filled by the composition root (src/worker/, src/http/): one
 * zod schema per operation type for `operations.config`, and one handler per type. The queue knows
 * job types only through it. The schema is applied twice: by `parseJobPayload` where a job is
 * enqueued (a wrong payload is a 422 or a CLI error, and — through `JobPayloadOf` — a compile
 * error), and again by the worker at claim time, because rows may come from older versions or a
 * migrated database.
 */
export type JobPayloadSchemas = { readonly [T in OperationType]: z.ZodType };

/**
 * The schema's declared keys only: loose schemas (which keep old rows' extra keys at claim time)
 * infer an index signature `[x: string]: unknown` that would let any stray key through.
 */
type DeclaredKeys<T> = T extends unknown ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] } : never;

/** What a caller passes when enqueueing a job of type T: the schema's input, without stray keys. */
export type JobPayloadOf<S extends JobPayloadSchemas, T extends OperationType> = DeclaredKeys<z.input<S[T]>>;
/** What the handler of type T receives (the schema's output). */
export type JobConfigOf<S extends JobPayloadSchemas, T extends OperationType> = z.output<S[T]>;

export interface JobHandler<C> {
  /** Does the work in batches (ctx.commitBatch), then returns; the worker marks the operation completed. */
  run(ctx: JobContext<C>): Promise<void>;
  /** After a permanent failure was recorded: put what the job worked on in a truthful state. */
  onFailed?(ctx: JobContext<C>, errorMessage: string): Promise<void>;
  /** After a cancellation was noticed at a batch boundary (the lock is already cleared). */
  onCancelled?(ctx: JobContext<C>): Promise<void>;
}

export type JobHandlers<S extends JobPayloadSchemas> = { [T in OperationType]: JobHandler<JobConfigOf<S, T>> };

export interface JobRegistry<S extends JobPayloadSchemas = JobPayloadSchemas> {
  readonly schemas: S;
  readonly handlers: JobHandlers<S>;
  /** Errors the handlers know to be worth retrying, beside the queue's own (database, sockets). */
  readonly isTransientError?: (err: unknown) => boolean;
  /** Where handlers are registered: named in the start-up error when one is missing. */
  readonly registeredIn: string;
}

/**
 * Start-up check: every operation type the database can hold has a handler. A missing one would
 * otherwise show up as operations stuck in `pending` forever.
 */
export function assertCompleteRegistry(handlers: Partial<Record<OperationType, JobHandler<never>>>, registeredIn: string): void {
  const missing = OPERATION_TYPES.filter((type) => typeof handlers[type]?.run !== 'function');
  if (missing.length > 0) {
    throw new JobRegistryError(
      `No job handler for operation type(s) ${missing.join(', ')}. ` +
        `Register one in ${registeredIn} — every type in OPERATION_TYPES needs a handler.`,
    );
  }
}

function oneLine(error: z.ZodError): string {
  return z.prettifyError(error).replace(/\s*\n\s*/g, ' ');
}

/** The object under a schema's refinements and transforms, to list the keys it reads. */
function objectShapeOf(schema: z.ZodType): Record<string, unknown> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape;
  if (schema instanceof z.ZodPipe) return objectShapeOf(schema.in as z.ZodType);
  return undefined;
}

/**
 * At the call site that enqueues: the payload must parse, and must not carry keys the schema does
 * not read (the schemas are loose so that old stored rows still run; a new row gets no stray keys).
 * A ValidationError names the field (422 over HTTP, the message on the CLI). Returns the payload as
 * given — the worker parses the stored row again with the same schema.
 */
export function parseJobPayload<S extends JobPayloadSchemas, T extends OperationType>(schemas: S, type: T, payload: unknown): JobPayloadOf<S, T> {
  const schema = schemas[type];
  const shape = objectShapeOf(schema);
  if (shape && payload !== null && typeof payload === 'object') {
    const unknown = Object.keys(payload).filter((key) => !(key in shape));
    if (unknown.length > 0) {
      throw new ValidationError(`Unknown field(s) for a ${type} operation: ${unknown.join(', ')}`, { field: unknown[0], operation_type: type });
    }
  }
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`Invalid ${type} operation config: ${oneLine(parsed.error)}`, {
      field: issue?.path.join('.') || undefined,
      operation_type: type,
    });
  }
  return payload as JobPayloadOf<S, T>;
}

/** At claim time: an operation's stored config for its type; a PermanentJobError names the bad fields. */
export function parseStoredJobConfig<S extends JobPayloadSchemas, T extends OperationType>(schemas: S, type: T, config: unknown): JobConfigOf<S, T> {
  const parsed = schemas[type].safeParse(config ?? {});
  if (parsed.success) return parsed.data as JobConfigOf<S, T>;
  throw new PermanentJobError(`Invalid ${type} operation config: ${oneLine(parsed.error)}`, { cause: parsed.error });
}
