/**
 * What search needs from an embedding model: the shape of `createEmbeddingProvider(model)` in
 * src/ingest (structural, so search does not depend on ingest internals).
 */
export interface QueryEmbedder {
  readonly model: string;
  readonly dimension: number;
  embed(texts: string[]): Promise<ArrayLike<number>[]>;
  close?(): Promise<void>;
}

export type QueryEmbedderLookup = (model: string) => Promise<QueryEmbedder>;

export interface CachedEmbedderLookup extends QueryEmbedderLookup {
  /** Closes every provider loaded so far (worker threads); call on shutdown. */
  close(): Promise<void>;
}

/** A query embedded with one model, ready for `embedding::vector(N) <=> $q::vector(N)`. */
export interface QueryVector {
  model: string;
  dimension: number;
  values: ArrayLike<number>;
}

/**
 * Loads each model once per process: loading the default model takes seconds (weights from disk
 * and graph warm-up), embedding one query then takes milliseconds. A failed load is not cached,
 * so the next search retries it.
 */
export function cachedEmbedderLookup(create: (model: string) => QueryEmbedder | Promise<QueryEmbedder>): CachedEmbedderLookup {
  const cache = new Map<string, Promise<QueryEmbedder>>();
  const lookup = (model: string) => {
    let pending = cache.get(model);
    if (!pending) {
      pending = Promise.resolve()
        .then(() => create(model))
        .catch((err: unknown) => {
          cache.delete(model);
          throw err;
        });
      cache.set(model, pending);
    }
    return pending;
  };
  const close = async () => {
    const loaded = [...cache.values()];
    cache.clear();
    await Promise.all(loaded.map((p) => p.then((embedder) => embedder.close?.(), () => undefined)));
  };
  return Object.assign(lookup, { close });
}

export async function embedQuery(lookup: QueryEmbedderLookup, model: string, query: string): Promise<QueryVector> {
  const embedder = await lookup(model);
  const [values] = await embedder.embed([query]);
  if (!values || values.length !== embedder.dimension) {
    throw new Error(`Embedding model ${model} returned ${values?.length ?? 0} values for the query, expected ${embedder.dimension}`);
  }
  return { model, dimension: embedder.dimension, values };
}
