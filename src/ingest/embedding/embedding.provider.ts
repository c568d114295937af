/**
 * What the indexing pipeline and search need from an embedding model. A provider owns its
 * resources (worker threads, sockets); callers must `close()` it when done.
 */
export interface EmbeddingProvider {
  /** Registry name, stored with every embedding row so vectors of different models never mix. */
  readonly model: string;
  readonly dimension: number;
  /** One vector per input, in input order. Vectors are L2-normalized (cosine = dot product). */
  embed(texts: string[]): Promise<Float32Array[] | number[][]>;
  close(): Promise<void>;
}

export interface EmbeddingModelInfo {
  name: string;
  dimension: number;
  description: string;
  /** True for models that only exist to make tests fast and deterministic. */
  testOnly: boolean;
}

/** Thrown when a model name is unknown or a provider cannot start or answer. */
export class EmbeddingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}
