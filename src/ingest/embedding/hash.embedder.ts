import type { EmbeddingProvider } from './embedding.provider.js';
import { l2NormalizeInPlace } from './vector.math.js';

export const HASH_MODEL_NAME = 'deterministic-hash-384';
const HASH_DIMENSION = 384;

/**
 * FOR TESTS AND PLUMBING ONLY — never a product default. Hashes lower-cased words and word
 * bigrams into 384 signed buckets ("feature hashing") and L2-normalizes, so texts that share words
 * are similar and identical texts are identical, with no model, no threads and no start-up cost.
 * It knows nothing about meaning: "car" and "automobile" are unrelated to it.
 */
export class HashEmbeddingProvider implements EmbeddingProvider {
  readonly model = HASH_MODEL_NAME;
  readonly dimension = HASH_DIMENSION;

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => hashEmbed(text, this.dimension));
  }

  async close(): Promise<void> {}
}

export function hashEmbed(text: string, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    // Signed hashing: collisions cancel on average instead of all adding up.
    vector[h % dimension]! += h & 0x8000_0000 ? -weight : weight;
  };
  for (let i = 0; i < words.length; i++) {
    add(words[i]!, 1);
    if (i > 0) add(`${words[i - 1]} ${words[i]}`, 0.5);
  }
  // Text without words still gets a unit vector, so cosine similarity stays defined.
  if (words.length === 0) vector[0] = 1;
  return l2NormalizeInPlace(vector);
}

/** 32-bit FNV-1a over UTF-16 code units: tiny, stable across platforms and releases. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
