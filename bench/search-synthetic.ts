/**
 * The synthetic corpus of bench:search (see the description there): deterministic (seeded), 512-d
 * vectors in topic clusters, Zipf-distributed pseudo-words with topic words mixed in.
 */
import type { QueryVector } from '../src/search/query-embedder.js';

export const DIM = 512;
export const TOPICS = 2_000;
export const VOCABULARY = 30_000;
export const WORDS_PER_CHUNK = 120;
export const TOPIC_WORDS = 20;
export const BENCH_MODEL = 'bench-synthetic-512';

let seed = 42;
export function random(): number {
  // mulberry32: fast, seedable, good enough for synthetic data.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
function normalize(v: Float64Array): Float64Array {
  const norm = Math.hypot(...v) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
function randomUnit(): Float64Array {
  return normalize(Float64Array.from({ length: DIM }, gaussian));
}
/** Centre + noise of the same norm: cosine to the centre ≈ 0.7, between two such points ≈ 0.5. */
export function noisy(center: Float64Array): number[] {
  const noise = randomUnit();
  const v = new Float64Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = center[i]! + noise[i]!;
  normalize(v);
  // 4 decimals: cosine error < 1e-3, and the COPY text is half as long as full float precision.
  return Array.from(v, (x) => Math.round(x * 1e4) / 1e4);
}

const SYLLABLES = 'ba be bi bo bu da de di do du fa fe fi fo ga ge go ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so ta te ti to tu va ve vi vo za ze zi zo'.split(' ');
const vocabulary: string[] = [];
{
  const seen = new Set<string>();
  while (vocabulary.length < VOCABULARY) {
    const n = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    word += 'xq'[Math.floor(random() * 2)]; // a consonant ending keeps pseudo-words clear of English stop words
    if (!seen.has(word)) {
      seen.add(word);
      vocabulary.push(word);
    }
  }
}
// Zipf (s = 1) cumulative distribution over the vocabulary.
const zipfCdf = new Float64Array(VOCABULARY);
{
  let sum = 0;
  for (let r = 0; r < VOCABULARY; r++) zipfCdf[r] = sum += 1 / (r + 1);
  for (let r = 0; r < VOCABULARY; r++) zipfCdf[r]! /= sum;
}
function zipfWord(): string {
  const u = random();
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zipfCdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return vocabulary[lo]!;
}
export const centers = Array.from({ length: TOPICS }, randomUnit);
// Topic words come from the mid/long tail (ranks 2,000–30,000), like the words that name a subject.
const topicWords = Array.from({ length: TOPICS }, () =>
  Array.from({ length: TOPIC_WORDS }, () => vocabulary[2_000 + Math.floor(random() * (VOCABULARY - 2_000))]!),
);
export function chunkText(topic: number): string {
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_CHUNK; i++) {
    words.push(random() < 0.15 ? topicWords[topic]![Math.floor(random() * TOPIC_WORDS)]! : zipfWord());
  }
  return words.join(' ');
}

export interface BenchQuery {
  text: string;
  vector: QueryVector;
}
export function makeQuery(): BenchQuery {
  const topic = Math.floor(random() * TOPICS);
  const words = topicWords[topic]!;
  const text = [words[Math.floor(random() * TOPIC_WORDS)], words[Math.floor(random() * TOPIC_WORDS)], vocabulary[100 + Math.floor(random() * 1_900)]].join(' ');
  return { text, vector: { model: BENCH_MODEL, dimension: DIM, values: noisy(centers[topic]!) } };
}
