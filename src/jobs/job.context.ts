import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import type { OperationRow, OperationStatus } from '../db/schema.js';
import { inUnitOfWork, type Tx } from '../db/unit-of-work.js';
import type { Logger } from '../shared/logger.js';
import { OperationInterrupted, type InterruptReason } from './job-errors.js';
import type { JobEventPublisher, OperationEvent, OperationEventType } from './job-events.js';
import { OperationQueueRepository } from './operation-queue.repository.js';

export interface ProgressState {
  total_files: number;
  processed_files: number;
  failed_files: number;
  current_file: string | null;
}

export interface JobContext<C> {
  /** The row as claimed (attempts, metadata with resume state, progress of earlier attempts). */
  readonly operation: OperationRow;
  readonly config: C;
  readonly app: AppConfig;
  readonly database: Database;
  readonly logger: Logger;
  readonly workerId: string;
  readonly progress: ProgressState;
  /** Timings and counts (ms, documents, chunks …) stored in operation_metrics on completion. */
  readonly metrics: Record<string, number>;
  addMetric(name: string, value: number): void;
  /** Throws OperationInterrupted when draining, the lease is gone, or the operation was cancelled. */
  checkpoint(): Promise<void>;
  /**
   * One short transaction: locks the operation row, verifies this worker still holds it and it was
   * not cancelled (else OperationInterrupted, nothing written), runs `work`, saves progress. A
   * progress event is published after commit.
   */
  commitBatch<T>(work: (tx: Tx, repos: Repositories) => Promise<T>): Promise<T>;
  /** Merges resume state into operations.metadata (inside the next or a new batch). */
  saveMetadata(tx: Tx, patch: Record<string, unknown>): Promise<void>;
  /**
   * Marks the operation completed, with `work` in the same transaction. `announceFirst`: publish
   * operation_completed before the transaction (the delete operation removes its own row).
   */
  complete(work?: (tx: Tx, repos: Repositories) => Promise<void>, options?: { announceFirst?: boolean }): Promise<void>;
  readonly completed: boolean;
}

export function percentageOf(progress: ProgressState): number {
  if (progress.total_files <= 0) return 0;
  return Math.min(100, Math.round((progress.processed_files / progress.total_files) * 1000) / 10);
}

export interface JobContextDeps {
  operation: OperationRow;
  app: AppConfig;
  database: Database;
  logger: Logger;
  workerId: string;
  eventBus: JobEventPublisher;
  /** Set by the heartbeat when an extension found the lease gone, and by stop(). */
  interruptFlag: () => InterruptReason | undefined;
}

/** The worker's implementation of JobContext for one claimed operation. */
export class OperationJobContext<C> implements JobContext<C> {
  readonly operation: OperationRow;
  readonly app: AppConfig;
  readonly database: Database;
  readonly logger: Logger;
  readonly workerId: string;
  readonly progress: ProgressState;
  readonly metrics: Record<string, number> = {};
  completed = false;
  private progressDirty = false;

  constructor(
    private readonly deps: JobContextDeps,
    readonly config: C,
  ) {
    this.operation = deps.operation;
    this.app = deps.app;
    this.database = deps.database;
    this.logger = deps.logger;
    this.workerId = deps.workerId;
    this.progress = {
      total_files: deps.operation.total_files,
      processed_files: deps.operation.processed_files,
      failed_files: deps.operation.failed_files,
      current_file: deps.operation.current_file,
    };
  }

  addMetric(name: string, value: number): void {
    this.metrics[name] = (this.metrics[name] ?? 0) + value;
  }

  async checkpoint(): Promise<void> {
    const flagged = this.deps.interruptFlag();
    if (flagged === 'lease_lost' || flagged === 'cancelled') throw new OperationInterrupted(flagged);
    // Read first even when draining: a cancelled operation must end as cancelled, not go back to the queue.
    const row = await inUnitOfWork(this.database, (tx) => new OperationQueueRepository(tx).findOwnership(this.operation.id));
    this.assertOwned(row);
    if (flagged === 'draining') throw new OperationInterrupted(flagged);
  }

  private assertOwned(row: { status: OperationStatus; locked_by: string | null; cancel_requested: boolean } | undefined): void {
    if (!row) throw new OperationInterrupted('lease_lost'); // the row is gone (collection deleted)
    if (row.status === 'cancelled' || row.cancel_requested) throw new OperationInterrupted('cancelled');
    if (row.status !== 'processing' || row.locked_by !== this.workerId) throw new OperationInterrupted('lease_lost');
  }

  async commitBatch<T>(work: (tx: Tx, repos: Repositories) => Promise<T>): Promise<T> {
    const flagged = this.deps.interruptFlag();
    if (flagged === 'lease_lost' || flagged === 'cancelled') throw new OperationInterrupted(flagged);
    // `work` updates progress and metrics in memory; a transaction retried after a transient error
    // runs `work` again, so each run starts from the values before the batch.
    const progressBefore = { ...this.progress };
    const metricsBefore = { ...this.metrics };
    const restore = () => {
      Object.assign(this.progress, progressBefore);
      for (const key of Object.keys(this.metrics)) delete this.metrics[key];
      Object.assign(this.metrics, metricsBefore);
    };
    const result = await inUnitOfWork(this.database, async (tx) => {
      restore();
      this.assertOwned(await new OperationQueueRepository(tx).lockOwnership(this.operation.id));
      const repos = repositoriesFor(tx);
      const value = await work(tx, repos);
      await repos.operations.updateProgress(this.operation.id, this.progress);
      return value;
    }).catch((err: unknown) => {
      restore();
      throw err;
    });
    this.progressDirty = true;
    await this.publishProgress();
    return result;
  }

  async saveMetadata(tx: Tx, patch: Record<string, unknown>): Promise<void> {
    await new OperationQueueRepository(tx).mergeMetadata(this.operation.id, patch);
    Object.assign(this.operation.metadata, patch);
  }

  async publishProgress(): Promise<void> {
    if (!this.progressDirty) return;
    this.progressDirty = false;
    await this.publish('progress', 'processing');
  }

  async publish(type: OperationEventType, status: OperationStatus, errorMessage?: string | null): Promise<void> {
    const event: OperationEvent = {
      type,
      operation_id: this.operation.id,
      collection_id: this.operation.collection_id,
      data: { status, progress: { ...this.progress, percentage: percentageOf(this.progress) } },
    };
    if (errorMessage !== undefined) event.data.error_message = errorMessage;
    try {
      await this.deps.eventBus.publish(event);
    } catch (err) {
      // Events are best-effort (the operation row is the truth the API serves); never fail a job on them.
      this.logger.warn({ err, operationId: this.operation.id, type }, 'could not publish operation event');
    }
  }

  async complete(work?: (tx: Tx, repos: Repositories) => Promise<void>, options: { announceFirst?: boolean } = {}): Promise<void> {
    if (this.completed) return;
    if (options.announceFirst) await this.publish('operation_completed', 'completed');
    await inUnitOfWork(this.database, async (tx) => {
      const queue = new OperationQueueRepository(tx);
      this.assertOwned(await queue.lockOwnership(this.operation.id));
      const repos = repositoriesFor(tx);
      await repos.operations.updateProgress(this.operation.id, { ...this.progress, current_file: null });
      if (Object.keys(this.metrics).length > 0) await repos.operationMetrics.insertMany(this.operation.id, this.metrics);
      await queue.finish(this.operation.id, this.workerId, 'completed');
      await work?.(tx, repos);
    });
    this.completed = true;
    this.progress.current_file = null;
    if (!options.announceFirst) await this.publish('operation_completed', 'completed');
  }
}
