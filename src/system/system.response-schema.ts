import { z } from 'zod';

const provider = z.enum(['local', 'openai-compatible']);

/** `GET /api/v2/embedding-models`: what the create dialog offers, and what an omitted `embedding_model` becomes. */
export const embeddingModelListResponse = z
  .object({
    models: z.array(
      z.object({
        name: z.string(),
        dimension: z.number().int(),
        description: z.string(),
        provider,
        is_default: z.boolean(),
      }),
    ),
    /** `DEFAULT_EMBEDDING_MODEL`: a create without `embedding_model` is embedded with it. */
    default_model: z.string(),
  })
  .meta({ id: 'EmbeddingModelList' });

/** `GET /api/models`: the original web UI's shape of the same list (docs/api.md). */
export const originalModelListResponse = z.object({
  models: z.record(
    z.string(),
    z.object({
      model_name: z.string(),
      dimension: z.number().int(),
      description: z.string(),
      provider,
      supports_quantization: z.boolean(),
      is_default: z.boolean(),
    }),
  ),
  current_device: z.literal('cpu'),
  using_real_embeddings: z.boolean(),
});

export const settingsStatsResponse = z.object({
  collection_count: z.number().int(),
  file_count: z.number().int(),
  /** Install-wide: administrators only (null for everyone else). */
  database_size_mb: z.number().nullable(),
  parquet_files_count: z.number().int(),
  parquet_size_mb: z.number(),
});

export const systemStatusResponse = z
  .object({
    healthy: z.boolean(),
    version: z.string(),
    gpu_available: z.boolean(),
    reranking_available: z.boolean(),
    cuda_device_count: z.number().int(),
    cuda_device_name: z.string().nullable(),
    available_reranking_models: z.array(z.string()),
    default_embedding_model: z.string(),
  })
  .meta({ id: 'SystemStatus' });
