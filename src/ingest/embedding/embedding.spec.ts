import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingError, type EmbeddingProvider } from './embedding.provider.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL, listEmbeddingModels } from './embedding.registry.js';
import { dot, l2Norm } from './vector.math.js';

async function embedAll(provider: EmbeddingProvider, texts: string[]): Promise<Float32Array[]> {
  return (await provider.embed(texts)).map((v) => Float32Array.from(v));
}

describe('registry', () => {
  it('lists the default model first, 512-d, and marks the hash model test-only', () => {
    const models = listEmbeddingModels();
    expect(models[0]).toMatchObject({ name: DEFAULT_EMBEDDING_MODEL, dimension: 512, testOnly: false });
    expect(DEFAULT_EMBEDDING_MODEL).toBe('universal-sentence-encoder-lite');
    expect(models.find((m) => m.name === 'deterministic-hash-384')).toMatchObject({ dimension: 384, testOnly: true });
  });

  it('names the choices when the model is unknown', () => {
    expect(() => createEmbeddingProvider('no-such-model', { env: {} })).toThrow(/unknown embedding model "no-such-model".*universal-sentence-encoder-lite/);
  });

  it('validates SEMANTIK_EMBED_THREADS', () => {
    expect(() => createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { env: { SEMANTIK_EMBED_THREADS: 'many' } })).toThrow(EmbeddingError);
    expect(() => createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { env: { SEMANTIK_EMBED_THREADS: '0' } })).toThrow(/SEMANTIK_EMBED_THREADS/);
  });
});

describe('deterministic-hash-384 (test embedder)', () => {
  it('is deterministic, normalized, and puts texts sharing words closer', async () => {
    const provider = createEmbeddingProvider('deterministic-hash-384', { env: {} });
    const [a, b, c, again, empty] = await embedAll(provider, [
      'postgres vector search index',
      'vector search in postgres',
      'chocolate cake recipe',
      'postgres vector search index',
      '',
    ]);
    expect(a).toHaveLength(384);
    expect(Array.from(again!)).toEqual(Array.from(a!));
    for (const v of [a, b, c, empty]) expect(l2Norm(v!)).toBeCloseTo(1, 5);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.3);
    await provider.close();
  });
});

describe('universal-sentence-encoder-lite (default model, worker threads)', () => {
  let provider: EmbeddingProvider;
  beforeAll(() => {
    provider = createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { threads: 2, env: {} });
  });
  afterAll(async () => {
    await provider.close();
  });

  it('returns normalized 512-d vectors where a paraphrase is closer than an unrelated sentence', async () => {
    const [query, paraphrase, unrelated] = await embedAll(provider, [
      'How do I reset my password?',
      'I forgot my password and need to change it.',
      'The recipe needs two eggs and a cup of flour.',
    ]);
    expect(provider.dimension).toBe(512);
    expect(query).toHaveLength(512);
    for (const v of [query, paraphrase, unrelated]) expect(l2Norm(v!)).toBeCloseTo(1, 4);
    expect(dot(query!, paraphrase!)).toBeGreaterThan(dot(query!, unrelated!) + 0.1);
  });

  it('keeps input order across batches and threads, and an empty text does not shift the others', async () => {
    const texts = Array.from({ length: 9 }, (_, i) => `Sentence number ${i} is about topic ${i * 7}.`);
    const forward = await embedAll(provider, ['', ...texts]);
    const backward = await embedAll(provider, [...texts].reverse());
    expect(forward).toHaveLength(10);
    texts.forEach((_, i) => expect(dot(forward[i + 1]!, backward[texts.length - 1 - i]!)).toBeCloseTo(1, 4));
    expect(dot(forward[1]!, forward[2]!)).toBeLessThan(0.999);
  });

  it('fails after close with a clear error', async () => {
    const closed = createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { threads: 1, env: {} });
    await closed.close();
    await expect(closed.embed(['x'])).rejects.toThrow(/closed/);
  });
});

describe('openai-compatible provider', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: { url?: string; auth?: string; body: { model: string; input: string[]; dimensions?: number } }[] = [];
  let status = 200;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const body = JSON.parse(raw);
        requests.push({ url: req.url, auth: req.headers.authorization, body });
        res.writeHead(status, { 'content-type': 'application/json' });
        if (status !== 200) return res.end('{"error":"bad key"}');
        // Answer out of order and unnormalized: the provider must sort by index and normalize.
        const data = body.input.map((_: string, index: number) => ({ index, embedding: [index + 1, 0, 0] })).reverse();
        res.end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts model and input to /embeddings and returns normalized vectors in input order', async () => {
    const provider = createEmbeddingProvider('openai:local-model', {
      env: { SEMANTIK_OPENAI_BASE_URL: baseUrl, SEMANTIK_OPENAI_API_KEY: 'sk-test', SEMANTIK_OPENAI_DIMENSIONS: '3' },
    });
    expect([provider.model, provider.dimension]).toEqual(['openai:local-model', 3]);
    const vectors = await embedAll(provider, ['a', 'b']);
    expect(requests.at(-1)).toEqual({
      url: '/v1/embeddings',
      auth: 'Bearer sk-test',
      body: { model: 'local-model', input: ['a', 'b'], encoding_format: 'float' },
    });
    expect(vectors.map((v) => Array.from(v))).toEqual([[1, 0, 0], [1, 0, 0]]);
  });

  it('needs a dimension for unknown models and explains HTTP errors', async () => {
    expect(() => createEmbeddingProvider('openai:mystery', { env: { SEMANTIK_OPENAI_BASE_URL: baseUrl } })).toThrow(/SEMANTIK_OPENAI_DIMENSIONS/);
    status = 401;
    const provider = createEmbeddingProvider('openai:text-embedding-3-small', { env: { SEMANTIK_OPENAI_BASE_URL: baseUrl } });
    expect(provider.dimension).toBe(1536);
    await expect(provider.embed(['a'])).rejects.toThrow(/answered 401 \(check SEMANTIK_OPENAI_API_KEY\)/);
    status = 200;
  });
});
