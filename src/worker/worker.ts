import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { ConflictError } from '../errors/domain-errors.js';
import { EmbeddingProviderCache } from '../indexing/embedding-provider.cache.js';
import { indexingJobRegistry } from '../indexing/indexing.handlers.js';
import type { OperationPayloadSchemas } from '../indexing/job-payloads.js';
import { startJobWorker, type RunningWorker, type WorkerExtension } from '../jobs/job-worker.js';
import type { JobHandlers } from '../jobs/job.registry.js';
import type { OperationEventBus } from '../operations/operation-events.js';
import type { Logger } from '../shared/logger.js';
import { claimDueSync } from '../sync/source-sync.service.js';
import { SourceWatchers, type SourceWatcherOptions } from '../sync/source-watcher.js';

export type { RunningWorker } from '../jobs/job-worker.js';

export interface StartWorkerOptions {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: OperationEventBus;
  /** Operations run at once by this process (default SEMANTIK_WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Test seams; production uses the defaults. */
  handlers?: Partial<JobHandlers<OperationPayloadSchemas>>;
  pollIntervalMs?: number;
  retryBaseMs?: number;
  /** Providers to use (already loaded, e.g. by a benchmark); owned by the caller, not closed on stop. */
  embedders?: EmbeddingProviderCache;
  /** Folder watching for sources with `watch: true` (default on; `false` in tests that do not want it). */
  watchSources?: SourceWatcherOptions | false;
}

/** Due schedules turned into operations per loop turn, so one loop does not stall on a backlog. */
const MAX_SCHEDULES_PER_POLL = 10;

/**
 * The composition root of background work: the generic queue (src/jobs/) with Semantik's job
 * registry (src/indexing/indexing.handlers.ts) and the sync extensions — due schedules become
 * `sync` operations, watched folders mark their source due. Used by `semantik worker` and
 * in-process by `semantik serve`.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const embedders = options.embedders ?? new EmbeddingProviderCache();
  const extensions: WorkerExtension[] = [dueSyncs(options.database, options.logger)];
  // Loaded models hold worker threads; the worker that made them closes them after its drain.
  if (!options.embedders) extensions.push({ stop: () => embedders.closeAll() });
  if (options.watchSources !== false) extensions.push(watchedSources(options.database, options.logger, options.watchSources ?? {}));
  return startJobWorker({
    config: options.config,
    database: options.database,
    logger: options.logger,
    eventBus: options.eventBus,
    registry: indexingJobRegistry({ embedders }, options.handlers),
    extensions,
    concurrency: options.concurrency,
    pollIntervalMs: options.pollIntervalMs,
    retryBaseMs: options.retryBaseMs,
  });
}

/**
 * Scheduled syncs that fell due become operations before each claim, by whichever worker looks
 * first (the source row is claimed with SKIP LOCKED in the enqueuing transaction: never twice).
 */
function dueSyncs(database: Database, logger: Logger): WorkerExtension {
  return {
    async beforeClaim(draining) {
      for (let i = 0; i < MAX_SCHEDULES_PER_POLL && !draining(); i++) {
        try {
          const claimed = await inUnitOfWork(database, (tx) => claimDueSync(tx, repositoriesFor(tx)));
          if (!claimed) return;
          if (claimed.operationId) logger.info({ ...claimed }, 'scheduled sync enqueued');
        } catch (err) {
          // Another source of the same collection was enqueued at this instant: this one stays due.
          if (err instanceof ConflictError) return;
          throw err;
        }
      }
    },
  };
}

function watchedSources(database: Database, logger: Logger, options: SourceWatcherOptions): WorkerExtension {
  let watchers: SourceWatchers | undefined;
  return {
    async start(wake) {
      watchers = new SourceWatchers(database, logger, wake, options);
      await watchers.start();
    },
    async stop() {
      await watchers?.close();
    },
  };
}
