import type { JobHandlers, JobRegistry } from '../jobs/job.registry.js';
import { EmbeddingError } from '../ingest/index.js';
import { deleteHandler } from './delete.handler.js';
import type { EmbeddingProviderCache } from './embedding-provider.cache.js';
import { createIndexHandler } from './index.handler.js';
import { operationPayloadSchemas, type OperationPayloadSchemas } from './job-payloads.js';
import { createReindexHandler } from './reindex.handler.js';
import { removeSourceHandler } from './remove-source.handler.js';
import { createSyncHandler } from './sync.handler.js';

export interface IndexingServices {
  /** One loaded model per name for the worker's life (owned by whoever composes the worker). */
  embedders: EmbeddingProviderCache;
}

/** Operation type → handler. The worker checks at start-up that every type has one. */
export function createIndexingHandlers(services: IndexingServices): JobHandlers<OperationPayloadSchemas> {
  const indexHandler = createIndexHandler(services);
  return {
    index: indexHandler,
    append: indexHandler,
    reindex: createReindexHandler(services),
    remove_source: removeSourceHandler,
    delete: deleteHandler,
    sync: createSyncHandler(services),
  };
}

/**
 * The registry Semantik's worker runs (src/worker/worker.ts): payload schemas plus handlers. An
 * embedding provider that could not start or answer is worth a retry (unknown models are turned
 * into PermanentJobError by the cache).
 */
export function indexingJobRegistry(services: IndexingServices, overrides: Partial<JobHandlers<OperationPayloadSchemas>> = {}): JobRegistry<OperationPayloadSchemas> {
  return {
    schemas: operationPayloadSchemas,
    handlers: { ...createIndexingHandlers(services), ...overrides },
    isTransientError: (err) => err instanceof EmbeddingError,
    registeredIn: 'src/indexing/indexing.handlers.ts (createIndexingHandlers)',
  };
}
