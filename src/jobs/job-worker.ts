import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { isTransientDatabaseError } from '../db/pg-errors.js';
import { PgListener } from '../db/pg-listener.js';
import type { OperationRow } from '../db/schema.js';
import { backoffMs, inUnitOfWork } from '../db/unit-of-work.js';
import { DatabaseUnavailableError, QueryTimeoutError } from '../errors/domain-errors.js';
import type { Logger } from '../shared/logger.js';
import { truncateText } from '../shared/truncate.js';
import { OperationInterrupted, PermanentJobError, type InterruptReason } from './job-errors.js';
import type { JobEventPublisher } from './job-events.js';
import { OperationJobContext } from './job.context.js';
import { assertCompleteRegistry, parseStoredJobConfig, type JobHandler, type JobPayloadSchemas, type JobRegistry } from './job.registry.js';
import { OPERATIONS_QUEUED_CHANNEL, OperationQueueRepository } from './operation-queue.repository.js';

/**
 * Work a worker process does beside running jobs, registered by the composition root with the
 * handlers (src/worker/worker.ts: turning due sync schedules into operations, watching folders,
 * closing the embedding models the handlers loaded).
 */
export interface WorkerExtension {
  /** When the worker starts; `wake` makes idle loops look at the queue at once. */
  start?(wake: () => void): Promise<void>;
  /** Every loop turn before claiming; `draining()` turns true when the worker is stopping. */
  beforeClaim?(draining: () => boolean): Promise<void>;
  /** After the drain, in reverse order of registration. */
  stop?(): Promise<void>;
}

export interface StartJobWorkerOptions<S extends JobPayloadSchemas = JobPayloadSchemas> {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: JobEventPublisher;
  /** Job types: schemas and handlers, from the composition root. */
  registry: JobRegistry<S>;
  extensions?: readonly WorkerExtension[];
  /** Operations run at once by this process (default SEMANTIK_WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Test seams; production uses the defaults. */
  pollIntervalMs?: number;
  retryBaseMs?: number;
}

export interface RunningWorker {
  readonly id: string;
  /** Drains: running operations finish their current batch and hand their lease back. */
  stop(): Promise<void>;
}

/**
 * Fallback poll when no NOTIFY arrives: 5 s against a server (LISTEN is the fast path), 500 ms
 * embedded (polling one in-process database is a sub-millisecond query). A worker also wakes
 * exactly when the next run_after or lease end falls due, so an expired lease is picked up at
 * its expiry, not a poll later.
 */
const SERVER_POLL_MS = 5_000;
const EMBEDDED_POLL_MS = 500;
/** Transient failures wait 5 s, 10 s, 20 s … (× 0.5–1.5 jitter), at most 5 minutes. */
const RETRY_BASE_MS = 5_000;
const RETRY_CAP_MS = 5 * 60_000;
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EMFILE', 'ENFILE']);

/** The queue's own transient errors; a registry adds what its handlers know (`isTransientError`). */
export function isTransientJobError(err: unknown, isTransientForHandlers: (err: unknown) => boolean = () => false): boolean {
  if (err instanceof PermanentJobError) return false;
  if (err instanceof DatabaseUnavailableError || err instanceof QueryTimeoutError) return true;
  if (isTransientForHandlers(err)) return true;
  if (isTransientDatabaseError(err)) return true;
  return TRANSIENT_SOCKET_CODES.has((err as { code?: string } | undefined)?.code ?? '');
}

export function retryDelayMs(attempt: number, baseMs = RETRY_BASE_MS): number {
  const exp = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + Math.random()));
}

/**
 * Starts a worker: `concurrency` loops that claim operations from the queue (the `operations`
 * table, FOR UPDATE SKIP LOCKED), hold them with a heartbeat-extended lease, and run the handler
 * the registry names for their type. Composed with Semantik's handlers by src/worker/worker.ts
 * (`semantik worker`, and in-process by `semantik serve`), on both backends.
 */
export async function startJobWorker<S extends JobPayloadSchemas>(options: StartJobWorkerOptions<S>): Promise<RunningWorker> {
  assertCompleteRegistry(options.registry.handlers, options.registry.registeredIn);
  const worker = new QueueWorker(options as unknown as StartJobWorkerOptions);
  await worker.start();
  return worker;
}

/**
 * Embedded databases whose leftover leases were already reclaimed by this process: a second
 * worker on the same handle must not take over the first one's live operations.
 */
const embeddedLeasesReclaimed = new WeakSet<Database>();

class QueueWorker implements RunningWorker {
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger: Logger;
  private readonly handlers: Record<OperationRow['type'], JobHandler<unknown>>;
  private readonly extensions: readonly WorkerExtension[];
  private readonly sleepers = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];
  private listener: PgListener | undefined;
  private readonly started: WorkerExtension[] = [];
  private draining = false;
  private stopped: Promise<void> | undefined;
  private readonly leaseSeconds: number;
  private readonly pollMs: number;

  constructor(private readonly options: StartJobWorkerOptions) {
    this.logger = options.logger.child({ component: 'worker', workerId: this.id });
    this.handlers = options.registry.handlers as Record<OperationRow['type'], JobHandler<unknown>>;
    this.extensions = options.extensions ?? [];
    this.leaseSeconds = options.config.jobLeaseSeconds;
    this.pollMs = options.pollIntervalMs ?? (options.database.kind === 'server' ? SERVER_POLL_MS : EMBEDDED_POLL_MS);
  }

  async start(): Promise<void> {
    const { database, config } = this.options;
    if (database.kind === 'embedded' && !embeddedLeasesReclaimed.has(database)) {
      embeddedLeasesReclaimed.add(database);
      const expired = await inUnitOfWork(database, (tx) => new OperationQueueRepository(tx).expireAllLeases());
      if (expired > 0) this.logger.warn({ expired }, 'resuming operations left processing by a previous run');
    } else if (config.databaseUrl) {
      this.listener = new PgListener(config.databaseUrl, [OPERATIONS_QUEUED_CHANNEL], () => this.wakeAll(), this.logger, () => this.wakeAll());
      await this.listener.start();
    }
    for (const extension of this.extensions) {
      await extension.start?.(() => this.wakeAll());
      this.started.push(extension);
    }
    const concurrency = Math.max(1, this.options.concurrency ?? config.workerConcurrency);
    for (let slot = 0; slot < concurrency; slot++) this.loops.push(this.loop(slot));
    this.logger.info({ concurrency, leaseSeconds: this.leaseSeconds, backend: database.kind }, 'worker started');
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.draining = true;
      this.wakeAll();
      const timeoutMs = this.options.config.shutdownTimeoutSeconds * 1000;
      const timeout = new AbortController();
      const drained = await Promise.race([
        Promise.all(this.loops).then(() => true),
        sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
      ]);
      timeout.abort(); // the timer must not keep the process alive after a quick drain
      if (!drained) this.logger.warn({ timeoutMs }, 'drain timed out; unfinished operations resume elsewhere when their lease expires');
      await this.listener?.close();
      for (const extension of this.started.splice(0).reverse()) {
        await extension.stop?.().catch((err: unknown) => this.logger.warn({ err }, 'worker extension did not stop cleanly'));
      }
      this.logger.info('worker stopped');
    })();
    return this.stopped;
  }

  private wakeAll(): void {
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private async idle(ms: number): Promise<void> {
    if (this.draining) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.sleepers.add(done);
    });
  }

  private async loop(slot: number): Promise<void> {
    let failures = 0;
    while (!this.draining) {
      try {
        await this.failExhausted();
        for (const extension of this.extensions) if (!this.draining) await extension.beforeClaim?.(() => this.draining);
        const operation = await inUnitOfWork(this.options.database, (tx) =>
          new OperationQueueRepository(tx).claimNext(this.id, this.leaseSeconds, this.options.config.jobMaxAttempts),
        );
        failures = 0;
        if (operation) {
          await this.run(operation);
          continue;
        }
        const next = await inUnitOfWork(this.options.database, (tx) => new OperationQueueRepository(tx).secondsUntilNextRunnable(), { readOnly: true });
        const dueMs = next === undefined ? this.pollMs : Math.max(20, Math.ceil(next * 1000) + 20);
        await this.idle(Math.min(this.pollMs, dueMs));
      } catch (err) {
        failures++;
        this.logger.error({ err, slot }, 'worker loop error; backing off');
        await this.idle(backoffMs(failures, 500, 30_000));
      }
    }
  }

  /** Operations whose attempts are used up (crashed every time, or kept failing transiently). */
  private async failExhausted(): Promise<void> {
    const failed = await inUnitOfWork(this.options.database, async (tx) => {
      const queue = new OperationQueueRepository(tx);
      const rows = await queue.lockExhausted(this.options.config.jobMaxAttempts, 10);
      const messages: string[] = [];
      for (const row of rows) {
        const reason =
          row.status === 'processing'
            ? 'its worker stopped responding (lease expired) each time'
            : `last error: ${row.error_message ?? 'unknown'}`;
        messages.push(truncateText(`Gave up after ${row.attempts} attempts: ${reason}`, 2000));
        await queue.failExhausted(row.id, messages.at(-1)!);
      }
      return rows.map((row, i) => ({ row, message: messages[i]! }));
    });
    for (const { row, message } of failed) {
      this.logger.error({ operationId: row.id, type: row.type }, message);
      const ctx = this.contextFor(row, () => undefined, this.safeConfig(row));
      await this.settleFailure(ctx, this.handlers[row.type], message);
      await ctx.publish('operation_failed', 'failed', message);
    }
  }

  private contextFor(operation: OperationRow, interruptFlag: () => InterruptReason | undefined, config: unknown) {
    return new OperationJobContext(
      {
        operation,
        app: this.options.config,
        database: this.options.database,
        logger: this.logger.child({ operationId: operation.id, type: operation.type, attempt: operation.attempts }),
        workerId: this.id,
        eventBus: this.options.eventBus,
        interruptFlag,
      },
      config,
    );
  }

  private async run(operation: OperationRow): Promise<void> {
    let interrupt: InterruptReason | undefined;
    const interruptFlag = () => interrupt ?? (this.draining ? 'draining' : undefined);
    const handler = this.handlers[operation.type];
    const heartbeat = setInterval(() => {
      inUnitOfWork(this.options.database, (tx) => new OperationQueueRepository(tx).heartbeat(operation.id, this.id, this.leaseSeconds))
        .then(async (held) => {
          if (held || interrupt) return;
          // Not extended: cancelled (the API flips the status) or taken over by another worker.
          const row = await inUnitOfWork(this.options.database, (tx) => new OperationQueueRepository(tx).findOwnership(operation.id));
          interrupt ??= row && (row.status === 'cancelled' || row.cancel_requested) ? 'cancelled' : 'lease_lost';
        })
        .catch((err) => this.logger.warn({ err, operationId: operation.id }, 'heartbeat failed; will retry'));
    }, (this.leaseSeconds * 1000) / 3);
    heartbeat.unref();

    let ctx = this.contextFor(operation, interruptFlag, this.safeConfig(operation));
    const log = ctx.logger;
    try {
      ctx = this.contextFor(operation, interruptFlag, parseStoredJobConfig(this.options.registry.schemas, operation.type, operation.config));
      log.info('operation started');
      await ctx.publish('operation_started', 'processing');
      await handler.run(ctx);
      if (!ctx.completed) await ctx.complete();
      log.info({ metrics: ctx.metrics }, 'operation completed');
    } catch (err) {
      clearInterval(heartbeat);
      await this.recordOutcome(ctx, handler, err);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * When the database itself failed, recording the outcome fails too; given up at once, the
   * operation sat in `processing` until its lease ran out (60 s by default) after a PostgreSQL
   * restart (test/reliability/postgres-restart.spec.ts). Retried with back-off while the lease would
   * still be ours; each queue update checks ownership, so a late retry cannot overwrite another worker.
   */
  private async recordOutcome(ctx: OperationJobContext<unknown>, handler: JobHandler<unknown>, err: unknown): Promise<void> {
    const deadline = Date.now() + this.leaseSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handleError(ctx, handler, err);
        return;
      } catch (inner) {
        if (!this.isTransient(inner) || this.draining || Date.now() + backoffMs(attempt, 250, 5_000) > deadline) {
          ctx.logger.error({ err: inner, cause: err }, 'could not record operation outcome');
          return;
        }
        await sleep(backoffMs(attempt, 250, 5_000));
      }
    }
  }

  private async handleError(ctx: OperationJobContext<unknown>, handler: JobHandler<unknown>, err: unknown): Promise<void> {
    const { operation, logger: log } = ctx;
    const queue = (fn: (q: OperationQueueRepository) => Promise<unknown>) =>
      inUnitOfWork(this.options.database, (tx) => fn(new OperationQueueRepository(tx)));
    if (err instanceof OperationInterrupted) {
      if (err.reason === 'cancelled') {
        log.info('operation cancelled; stopped at a batch boundary');
        await queue((q) => q.clearLock(operation.id, this.id));
        await handler.onCancelled?.(ctx);
        await ctx.publish('operation_cancelled', 'cancelled');
      } else if (err.reason === 'draining') {
        await queue((q) => q.release(operation.id, this.id));
        log.info('worker draining: operation handed back to the queue');
      } else {
        log.warn('lease lost (another worker took the operation over, or it ended); stopped without writing');
      }
      return;
    }
    const message = truncateText(errorText(err), 2000);
    const maxAttempts = Math.min(operation.max_attempts, this.options.config.jobMaxAttempts);
    if (this.isTransient(err) && operation.attempts < maxAttempts) {
      const delay = retryDelayMs(operation.attempts, this.options.retryBaseMs);
      log.warn({ err, delayMs: delay }, 'transient failure; operation will be retried');
      await queue((q) => q.retryLater(operation.id, this.id, delay, `Retrying after: ${message}`));
      return;
    }
    log.error({ err }, 'operation failed');
    const finalMessage = this.isTransient(err) ? `Gave up after ${operation.attempts} attempts: ${message}` : message;
    const recorded = await inUnitOfWork(this.options.database, (tx) => new OperationQueueRepository(tx).finish(operation.id, this.id, 'failed', finalMessage));
    if (!recorded) return; // not ours any more: whoever holds it decides
    await this.settleFailure(ctx, handler, finalMessage);
    await ctx.publish('operation_failed', 'failed', finalMessage);
  }

  /** The handler puts what the job worked on in a truthful state (collection policy lives there, not here). */
  private async settleFailure(ctx: OperationJobContext<unknown>, handler: JobHandler<unknown>, message: string): Promise<void> {
    try {
      await handler.onFailed?.(ctx, message);
    } catch (err) {
      ctx.logger.error({ err }, 'could not settle after a failed operation');
    }
  }

  private isTransient(err: unknown): boolean {
    return isTransientJobError(err, this.options.registry.isTransientError);
  }

  private safeConfig(operation: OperationRow): unknown {
    try {
      return parseStoredJobConfig(this.options.registry.schemas, operation.type, operation.config);
    } catch {
      return operation.config;
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
