import { ValidationError } from '../errors/domain-errors.js';
import { listAvailableEmbeddingModels, type EmbeddingModelInfo } from '../ingest/index.js';

/**
 * The names the Python original's create dialog offers (its only choices, hard-coded in
 * CreateCollectionModal.tsx at e0d751b5). Refusing them made that UI unable to create any collection.
 */
export const ORIGINAL_UI_MODEL_NAMES: readonly string[] = ['Qwen/Qwen3-Embedding-0.6B', 'intfloat/e5-base-v2', 'sentence-transformers/all-MiniLM-L6-v2'];

/** A model a client may pick for a new collection, as `GET /api/v2/embedding-models` and `GET /api/models` list it. */
export interface OfferedEmbeddingModel extends EmbeddingModelInfo {
  provider: 'local' | 'openai-compatible';
  is_default: boolean;
}

/**
 * The models this server can really embed with, for clients to offer (one list for both model
 * routes): built-in ones and `SEMANTIK_OPENAI_MODELS`; test-only ones only when the install is
 * configured to use one as its default.
 */
export function offeredEmbeddingModels(defaultModel: string, env: Record<string, string | undefined> = process.env): OfferedEmbeddingModel[] {
  return listAvailableEmbeddingModels(env)
    .filter((m) => !m.testOnly || m.name === defaultModel)
    .map((m) => ({ ...m, provider: m.name.startsWith('openai:') ? 'openai-compatible' : 'local', is_default: m.name === defaultModel }));
}

export interface EmbeddingModelChoice {
  /** The model that will embed the collection (what is stored and searched with). */
  model: string;
  dimension: number;
  /** Set when the caller asked for a model this server cannot run and gets `model` instead. */
  substitutedFor?: string;
}

/**
 * Which model embeds a collection for the name a client asked for:
 * 1. no name → the configured default;
 * 2. a model this server can run (built in, or `openai:<name>` from SEMANTIK_OPENAI_MODELS) → it;
 * 3. a bare name the configured endpoint serves (`Qwen/Qwen3-Embedding-0.6B` with
 *    SEMANTIK_OPENAI_MODELS listing it) → `openai:<name>`;
 * 4. one of the original UI's names that nothing here serves → the default, recorded as a substitution
 *    (the collection says which model really embeds it; it never pretends to be Qwen);
 * 5. anything else → 422 naming what is available.
 */
export function chooseEmbeddingModel(requested: string | undefined, defaultModel: string, env: Record<string, string | undefined> = process.env): EmbeddingModelChoice {
  const available = listAvailableEmbeddingModels(env);
  const find = (name: string) => available.find((m) => m.name === name);
  const byName = find(requested ?? defaultModel) ?? (requested ? find(`openai:${requested}`) : undefined);
  if (byName) return { model: byName.name, dimension: byName.dimension };
  if (requested && ORIGINAL_UI_MODEL_NAMES.includes(requested)) {
    const fallback = find(defaultModel);
    if (fallback) return { model: fallback.name, dimension: fallback.dimension, substitutedFor: requested };
  }
  const known = available.map((m) => m.name).join(', ');
  throw new ValidationError(`Unknown embedding model "${requested ?? defaultModel}"; available: ${known}`, { field: 'embedding_model' });
}

/** The note a substituted collection carries (status_message until indexing starts; metadata for good). */
export function substitutionNote(choice: EmbeddingModelChoice): string | null {
  if (!choice.substitutedFor) return null;
  return `Embedding model "${choice.substitutedFor}" is not available on this server; this collection is embedded with "${choice.model}" (GET /api/models lists the available ones)`;
}
