import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { listCollections } from '../collections/collection.service.js';
import { offeredEmbeddingModels } from '../collections/embedding-model.choice.js';
import { uow } from '../http/unit-of-work.hook.js';
import { embeddingModelListResponse, originalModelListResponse, settingsStatsResponse, systemStatusResponse } from './system.response-schema.js';

/**
 * Endpoints the Python original's web UIs read to fill their settings pages and create dialogs
 * (docs/api.md, "Compatibility with the original web UI"). Each says only what this server really
 * has: no reranker, no GPU, no parquet files.
 */

/** Collections are summed page by page; a user sees at most a few hundred, so a handful of pages. */
const STATS_PAGE = 100;

/** `GET /api/models` (authenticated scope under /api): what this server can embed with, in the original UI's shape. */
export const modelRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/models',
    { schema: { tags: ['system'], summary: 'Embedding models this server can run (the original UI reads this shape)', response: { 200: originalModelListResponse } } },
    async (request) => {
      const offered = offeredEmbeddingModels(request.server.deps.config.defaultEmbeddingModel);
      const models = Object.fromEntries(
        offered.map((m) => [
          m.name,
          { model_name: m.name, dimension: m.dimension, description: m.description, provider: m.provider, supports_quantization: false, is_default: m.is_default },
        ]),
      );
      return { models, current_device: 'cpu' as const, using_real_embeddings: offered.some((m) => !m.testOnly) };
    },
  );
};

/** `GET /api/v2/embedding-models`: the same models as `/api/models`, in a list, with the configured default. */
export const embeddingModelRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/embedding-models',
    {
      schema: {
        tags: ['system'],
        summary: 'Embedding models a collection can be created with, and the default an omitted embedding_model becomes',
        response: { 200: embeddingModelListResponse },
      },
    },
    async (request) => {
      const defaultModel = request.server.deps.config.defaultEmbeddingModel;
      const models = offeredEmbeddingModels(defaultModel).map(({ name, dimension, description, provider, is_default }) => ({ name, dimension, description, provider, is_default }));
      return { models, default_model: defaultModel };
    },
  );
};

/** `GET /api/settings/stats`: the original's numbers that exist here, for the caller's collections. */
export const settingsStatsRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const schema = { tags: ['system'], summary: 'Counts of the collections and documents the caller can see', response: { 200: settingsStatsResponse } };
  r.get('/settings/stats', { schema }, async (request) =>
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
  const r = app.withTypeProvider<ZodTypeProvider>();
  const schema = { tags: ['system'], summary: 'Capabilities of this server (no reranker, CPU only)', response: { 200: systemStatusResponse } };
  r.get('/system/status', { schema }, async (request) => ({
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
