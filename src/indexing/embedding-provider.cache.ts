import { createEmbeddingProvider, EmbeddingError, type EmbeddingProvider } from '../ingest/index.js';
import { PermanentJobError } from '../jobs/job-errors.js';

/**
 * One provider per model for the life of a worker: loading USE-lite (weights + WASM, one model per
 * thread) takes seconds, far more than embedding a batch, so operations share it.
 */
export class EmbeddingProviderCache {
  private readonly providers = new Map<string, EmbeddingProvider>();

  /** Throws PermanentJobError for a model name no provider knows (retrying cannot fix it). */
  get(model: string): EmbeddingProvider {
    let provider = this.providers.get(model);
    if (!provider) {
      try {
        provider = createEmbeddingProvider(model);
      } catch (err) {
        if (err instanceof EmbeddingError) throw new PermanentJobError(err.message, { cause: err });
        throw err;
      }
      this.providers.set(model, provider);
    }
    return provider;
  }

  async closeAll(): Promise<void> {
    const providers = [...this.providers.values()];
    this.providers.clear();
    await Promise.allSettled(providers.map((p) => p.close()));
  }
}
