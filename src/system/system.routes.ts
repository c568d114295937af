import type { FastifyPluginAsync } from 'fastify';
import { listCollections } from '../collections/collection.service.js';
import { listAvailableEmbeddingModels } from '../ingest/index.js';
import { uow } from '../http/unit-of-work.hook.js';

/**
 * Endpoints the Python original's web UIs read to fill their settings pages and create dialogs
 * (docs/api.md, "Compatibility with the original web UI"). Each says only what this server really
 * has: no reranker, no GPU, no parquet files.
 */

/** Collections are summed page by page; a user sees at most a few hundred, so a handful of pages. */
const STATS_PAGE = 100;

/** `GET /api/models` (authenticated scope under /api): what this server can embed with. */
export const modelRoutes: FastifyPluginAsync = async (app) => {
  app.get('/models', { schema: { tags: ['system'], summary: 'Embedding models this server can run (the original UI reads this shape)' } }, async (request) => {
    const defaultModel = request.server.deps.config.defaultEmbeddingModel;
    // Test-only models are shown only when the install is configured to use one.
    const usable = listAvailableEmbeddingModels().filter((m) => !m.testOnly || m.name === defaultModel);
    const models = Object.fromEntries(
      usable.map((m) => [
        m.name,
        {
          model_name: m.name,
          dimension: m.dimension,
          description: m.description,
          provider: m.name.startsWith('openai:') ? 'openai-compatible' : 'local',
          supports_quantization: false,
          is_default: m.name === defaultModel,
        },
      ]),
    );
    return { models, current_device: 'cpu', using_real_embeddings: usable.some((m) => !m.testOnly) };
  });
};

/** `GET /api/settings/stats`: the original's numbers that exist here, for the caller's collections. */
export const settingsStatsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/settings/stats', { schema: { tags: ['system'], summary: 'Counts of the collections and documents the caller can see' } }, async (request) =>
    uow(
      request,
      async ({ repos, principal }) => {
        let collectionCount = 0;
        let fileCount = 0;
        for (let page = 1; ; page += 1) {
          const result = await listCollections(repos, principal, { page, perPage: STATS_PAGE });
          collectionCount = result.total;
          fileCount += result.items.reduce((sum, c) => sum + c.document_count, 0);
          if (page * STATS_PAGE >= result.total) break;
        }
        // The database size is install-wide: only administrators are told it.
        let databaseSizeMb: number | null = null;
        if (principal.user.is_superuser) {
          databaseSizeMb = Math.round(((await repos.system.databaseSizeBytes()) / 1_048_576) * 100) / 100;
        }
        // No parquet files exist in this server (vectors live in PostgreSQL): 0 is the true count.
        return { collection_count: collectionCount, file_count: fileCount, database_size_mb: databaseSizeMb, parquet_files_count: 0, parquet_size_mb: 0 };
      },
      { readOnly: true },
    ),
  );
};

/** `GET /api/v2/system/status`: reranking and GPU are unavailable; the original UI then hides its reranking option. */
export const systemStatusRoutes: FastifyPluginAsync = async (app) => {
  app.get('/system/status', { schema: { tags: ['system'], summary: 'Capabilities of this server (no reranker, CPU only)' } }, async (request) => ({
    healthy: true,
    version: '2.0.0',
    gpu_available: false,
    reranking_available: false,
    cuda_device_count: 0,
    cuda_device_name: null,
    available_reranking_models: [],
    default_embedding_model: request.server.deps.config.defaultEmbeddingModel,
  }));
};
