import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { isTransientDatabaseError } from '../db/pg-errors.js';
import { repositoriesFor } from '../db/repositories.js';
import type { OperationRow } from '../db/schema.js';
import { backoffMs, inUnitOfWork } from '../db/unit-of-work.js';
import { ConflictError, DatabaseUnavailableError, QueryTimeoutError } from '../errors/domain-errors.js';
import { claimDueSync } from '../sync/source-sync.service.js';
import { SourceWatchers, type SourceWatcherOptions } from '../sync/source-watcher.js';
import { EmbeddingProviderCache } from '../indexing/embedding-provider.cache.js';
import { indexingHandlers } from '../indexing/indexing.handlers.js';
import { markCollectionError, settleCollection, truncateMessage } from '../indexing/collection-state.js';
import { EmbeddingError } from '../ingest/index.js';
import type { Logger } from '../shared/logger.js';
import { OperationInterrupted, OperationJobContext, PermanentJobError, type InterruptReason } from './job.context.js';
import { assertCompleteRegistry, parseOperationConfig, type JobHandler, type JobHandlers } from './job.registry.js';
import type { OperationEventBus } from './operation-events.js';
import { OperationQueueRepository } from './operation-queue.repository.js';
import { PgListener } from './pg-listener.js';

export interface StartWorkerOptions {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: OperationEventBus;
  /** Operations run at once by this process (default SEMANTIK_WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Test seams; production uses the defaults. */
  handlers?: Partial<JobHandlers>;
  pollIntervalMs?: number;
  retryBaseMs?: number;
  /** Providers to use (already loaded, e.g. by a benchmark); owned by the caller, not closed on stop. */
  embedders?: EmbeddingProviderCache;
  /** Folder watching for sources with `watch: true` (default on; `false` in tests that do not want it). */
  watchSources?: SourceWatcherOptions | false;
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
/** Due schedules turned into operations per loop iteration. */
const MAX_SCHEDULES_PER_POLL = 10;
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EMFILE', 'ENFILE']);

export function isTransientJobError(err: unknown): boolean {
  if (err instanceof PermanentJobError) return false;
  if (err instanceof DatabaseUnavailableError || err instanceof QueryTimeoutError) return true;
  if (err instanceof EmbeddingError) return true; // a provider that could not start or answer (unknown models are permanent)
  if (isTransientDatabaseError(err)) return true;
  return TRANSIENT_SOCKET_CODES.has((err as { code?: string } | undefined)?.code ?? '');
}

export function retryDelayMs(attempt: number, baseMs = RETRY_BASE_MS): number {
  const exp = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + Math.random()));
}

/**
 * Starts a worker: `concurrency` loops that claim operations from the queue (the `operations`
 * table, FOR UPDATE SKIP LOCKED), hold them with a heartbeat-extended lease, and run their
 * handler. Used by `semantik worker` and in-process by `semantik serve`, on both backends.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const handlers = { ...indexingHandlers, ...options.handlers };
  assertCompleteRegistry(handlers);
  const worker = new QueueWorker(options, handlers);
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
  private readonly embedders: EmbeddingProviderCache;
  private readonly sleepers = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];
  private listener: PgListener | undefined;
  private watchers: SourceWatchers | undefined;
  private draining = false;
  private stopped: Promise<void> | undefined;
  private readonly leaseSeconds: number;
  private readonly pollMs: number;

  constructor(
    private readonly options: StartWorkerOptions,
    private readonly handlers: JobHandlers,
  ) {
    this.logger = options.logger.child({ component: 'worker', workerId: this.id });
    this.embedders = options.embedders ?? new EmbeddingProviderCache();
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
      this.listener = new PgListener(config.databaseUrl, ['semantik_operations_queued'], () => this.wakeAll(), this.logger, () => this.wakeAll());
      await this.listener.start();
    }
    if (this.options.watchSources !== false) {
      this.watchers = new SourceWatchers(database, this.logger, () => this.wakeAll(), this.options.watchSources ?? {});
      await this.watchers.start();
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
      await this.watchers?.close();
      if (!this.options.embedders) await this.embedders.closeAll();
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
        await this.enqueueDueSyncs();
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

  /**
   * Scheduled syncs that fell due become operations here, by whichever worker looks first (the
   * source row is claimed with SKIP LOCKED in the enqueuing transaction: never twice). At most
   * MAX_SCHEDULES_PER_POLL per look so one loop does not stall on a backlog.
   */
  private async enqueueDueSyncs(): Promise<void> {
    for (let i = 0; i < MAX_SCHEDULES_PER_POLL && !this.draining; i++) {
      try {
        const claimed = await inUnitOfWork(this.options.database, (tx) => claimDueSync(tx, repositoriesFor(tx)));
        if (!claimed) return;
        if (claimed.operationId) this.logger.info({ ...claimed }, 'scheduled sync enqueued');
      } catch (err) {
        // Another source of the same collection was enqueued at this instant: this one stays due.
        if (err instanceof ConflictError) return;
        throw err;
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
        messages.push(truncateMessage(`Gave up after ${row.attempts} attempts: ${reason}`, 2000));
        await queue.failExhausted(row.id, messages.at(-1)!);
      }
      return rows.map((row, i) => ({ row, message: messages[i]! }));
    });
    for (const { row, message } of failed) {
      this.logger.error({ operationId: row.id, type: row.type }, message);
      const ctx = this.contextFor(row, () => undefined, safeConfig(row));
      await this.settleFailure(ctx, this.handlers[row.type] as JobHandler<typeof row.type>, message);
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
        embedders: this.embedders,
        eventBus: this.options.eventBus,
        interruptFlag,
      },
      config,
    );
  }

  private async run(operation: OperationRow): Promise<void> {
    let interrupt: InterruptReason | undefined;
    const interruptFlag = () => interrupt ?? (this.draining ? 'draining' : undefined);
    const handler = this.handlers[operation.type] as JobHandler<typeof operation.type>;
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

    let ctx = this.contextFor(operation, interruptFlag, safeConfig(operation));
    const log = ctx.logger;
    try {
      try {
        ctx = this.contextFor(operation, interruptFlag, parseOperationConfig(operation.type, operation.config));
      } catch (err) {
        const reason = err instanceof z.ZodError ? z.prettifyError(err).replace(/\s*\n\s*/g, ' ') : (err as Error).message;
        throw new PermanentJobError(`Invalid ${operation.type} operation config: ${reason}`, { cause: err });
      }
      log.info('operation started');
      await ctx.publish('operation_started', 'processing');
      await handler.run(ctx as never);
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
  private async recordOutcome(ctx: OperationJobContext<unknown>, handler: JobHandler<never>, err: unknown): Promise<void> {
    const deadline = Date.now() + this.leaseSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handleError(ctx, handler, err);
        return;
      } catch (inner) {
        if (!isTransientJobError(inner) || this.draining || Date.now() + backoffMs(attempt, 250, 5_000) > deadline) {
          ctx.logger.error({ err: inner, cause: err }, 'could not record operation outcome');
          return;
        }
        await sleep(backoffMs(attempt, 250, 5_000));
      }
    }
  }

  private async handleError(ctx: OperationJobContext<unknown>, handler: JobHandler<never>, err: unknown): Promise<void> {
    const { operation, logger: log } = ctx;
    const queue = (fn: (q: OperationQueueRepository) => Promise<unknown>) =>
      inUnitOfWork(this.options.database, (tx) => fn(new OperationQueueRepository(tx)));
    if (err instanceof OperationInterrupted) {
      if (err.reason === 'cancelled') {
        log.info('operation cancelled; stopped at a batch boundary');
        await queue((q) => q.clearLock(operation.id, this.id));
        if (handler.onCancelled) await handler.onCancelled(ctx as never);
        else await this.settleIfExists(operation.collection_id, 'last operation was cancelled');
        await ctx.publish('operation_cancelled', 'cancelled');
      } else if (err.reason === 'draining') {
        await queue((q) => q.release(operation.id, this.id));
        log.info('worker draining: operation handed back to the queue');
      } else {
        log.warn('lease lost (another worker took the operation over, or it ended); stopped without writing');
      }
      return;
    }
    const message = truncateMessage(errorText(err), 2000);
    const maxAttempts = Math.min(operation.max_attempts, this.options.config.jobMaxAttempts);
    if (isTransientJobError(err) && operation.attempts < maxAttempts) {
      const delay = retryDelayMs(operation.attempts, this.options.retryBaseMs);
      log.warn({ err, delayMs: delay }, 'transient failure; operation will be retried');
      await queue((q) => q.retryLater(operation.id, this.id, delay, `Retrying after: ${message}`));
      return;
    }
    log.error({ err }, 'operation failed');
    const finalMessage = isTransientJobError(err) ? `Gave up after ${operation.attempts} attempts: ${message}` : message;
    const recorded = await inUnitOfWork(this.options.database, (tx) => new OperationQueueRepository(tx).finish(operation.id, this.id, 'failed', finalMessage));
    if (!recorded) return; // not ours any more: whoever holds it decides
    await this.settleFailure(ctx, handler, finalMessage);
    await ctx.publish('operation_failed', 'failed', finalMessage);
  }

  private async settleFailure(ctx: OperationJobContext<unknown>, handler: JobHandler<never>, message: string): Promise<void> {
    try {
      if (handler.onFailed) await handler.onFailed(ctx as never, message);
      else {
        await inUnitOfWork(this.options.database, async (tx) => {
          const repos = repositoriesFor(tx);
          if (await repos.collections.findById(ctx.operation.collection_id)) await markCollectionError(repos, ctx.operation.collection_id, message);
        });
      }
    } catch (err) {
      ctx.logger.error({ err }, 'could not update the collection after a failed operation');
    }
  }

  private async settleIfExists(collectionId: string, note: string): Promise<void> {
    await inUnitOfWork(this.options.database, async (tx) => {
      const repos = repositoriesFor(tx);
      if (await repos.collections.findById(collectionId)) await settleCollection(repos, collectionId, note);
    });
  }
}

function safeConfig(operation: OperationRow): unknown {
  try {
    return parseOperationConfig(operation.type, operation.config);
  } catch {
    return operation.config;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
