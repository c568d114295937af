import { z } from 'zod';
import { EmbeddingError, type EmbeddingProvider } from './embedding.provider.js';
import { l2NormalizeInPlace } from './vector.math.js';

/** `openai:<model>` selects an OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM, LocalAI…). */
export const OPENAI_MODEL_PREFIX = 'openai:';

/** Dimensions of OpenAI's own models; any other model needs SEMANTIK_OPENAI_DIMENSIONS. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Inputs per request: far under OpenAI's 2,048 cap, and keeps one request body under ~1 MB of chunks. */
const REQUEST_BATCH = 96;
const REQUEST_TIMEOUT_MS = 60_000;

export const openAiEnvSchema = z.object({
  SEMANTIK_OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  SEMANTIK_OPENAI_API_KEY: z.string().optional(),
  SEMANTIK_OPENAI_DIMENSIONS: z.coerce.number().int().positive().optional(),
  /**
   * Comma-separated model names the configured endpoint serves (e.g. a vLLM or Ollama server with
   * `Qwen/Qwen3-Embedding-0.6B`): listed by GET /api/models and chosen when a client asks for that
   * name, instead of the offline default.
   */
  SEMANTIK_OPENAI_MODELS: z.string().optional(),
});
export type OpenAiEnv = z.infer<typeof openAiEnvSchema>;

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

export interface OpenAiProviderSettings {
  /** The model name the endpoint knows, without the `openai:` prefix. */
  remoteModel: string;
  baseUrl: string;
  apiKey?: string;
  dimension: number;
  /** Send `dimensions` in the request (only OpenAI's v3 models accept shortening). */
  requestDimensions: boolean;
}

/** The dimension of a remote model, or undefined when neither known nor configured. */
export function openAiDimensionOf(remoteModel: string, env: Pick<OpenAiEnv, 'SEMANTIK_OPENAI_DIMENSIONS'>): number | undefined {
  return env.SEMANTIK_OPENAI_DIMENSIONS ?? KNOWN_DIMENSIONS[remoteModel];
}

export class OpenAiEmbeddingProvider implements EmbeddingProvider {
  readonly model: string;
  readonly dimension: number;

  constructor(private readonly settings: OpenAiProviderSettings) {
    this.model = `${OPENAI_MODEL_PREFIX}${settings.remoteModel}`;
    this.dimension = settings.dimension;
  }

  static fromEnv(modelName: string, env: OpenAiEnv): OpenAiEmbeddingProvider {
    const remoteModel = modelName.slice(OPENAI_MODEL_PREFIX.length);
    if (!remoteModel) throw new EmbeddingError('model name "openai:" needs a model after the colon, e.g. "openai:text-embedding-3-small"');
    const dimension = openAiDimensionOf(remoteModel, env);
    if (!dimension) {
      throw new EmbeddingError(
        `unknown dimension for "${modelName}": set SEMANTIK_OPENAI_DIMENSIONS to the length of the vectors it returns`,
      );
    }
    return new OpenAiEmbeddingProvider({
      remoteModel,
      baseUrl: env.SEMANTIK_OPENAI_BASE_URL,
      apiKey: env.SEMANTIK_OPENAI_API_KEY,
      dimension,
      requestDimensions: env.SEMANTIK_OPENAI_DIMENSIONS !== undefined && remoteModel.startsWith('text-embedding-3'),
    });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += REQUEST_BATCH) {
      vectors.push(...(await this.request(texts.slice(start, start + REQUEST_BATCH))));
    }
    return vectors;
  }

  async close(): Promise<void> {}

  private async request(input: string[]): Promise<Float32Array[]> {
    const url = `${this.settings.baseUrl.replace(/\/+$/, '')}/embeddings`;
    const body: Record<string, unknown> = { model: this.settings.remoteModel, input, encoding_format: 'float' };
    if (this.settings.requestDimensions) body.dimensions = this.dimension;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.settings.apiKey) headers.authorization = `Bearer ${this.settings.apiKey}`;

    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new EmbeddingError(`cannot reach ${url}: ${(err as Error).message} (check SEMANTIK_OPENAI_BASE_URL)`, { cause: err });
    }
    const text = await response.text();
    if (!response.ok) {
      const hint = response.status === 401 ? ' (check SEMANTIK_OPENAI_API_KEY)' : '';
      throw new EmbeddingError(`${url} answered ${response.status}${hint}: ${text.slice(0, 300)}`);
    }
    let parsed: z.infer<typeof responseSchema>;
    try {
      parsed = responseSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new EmbeddingError(`${url} returned an unexpected body: ${text.slice(0, 300)}`, { cause: err });
    }
    const vectors = new Array<Float32Array | undefined>(input.length);
    for (const item of parsed.data) {
      if (item.index >= input.length) throw new EmbeddingError(`${url} returned index ${item.index} for ${input.length} inputs`);
      if (item.embedding.length !== this.dimension) {
        throw new EmbeddingError(
          `${url} returned ${item.embedding.length}-d vectors for ${this.model}, expected ${this.dimension} (set SEMANTIK_OPENAI_DIMENSIONS)`,
        );
      }
      vectors[item.index] = l2NormalizeInPlace(Float32Array.from(item.embedding));
    }
    const missing = vectors.findIndex((v) => v === undefined);
    if (missing >= 0) throw new EmbeddingError(`${url} returned no vector for input ${missing}`);
    return vectors as Float32Array[];
  }
}
