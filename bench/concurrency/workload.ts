/**
 * The write workload of bench:concurrency, defined once for both stores.
 *
 * A client runs operations back to back for a fixed time. Operation k of a client is
 * - k % COLLECTION_EVERY === 0: create a collection (unique name and vector-store name), which the
 *   client's next documents go into — a user creating a collection while others index;
 * - otherwise: index one document — a document row and its CHUNKS_PER_DOCUMENT chunk rows, each
 *   chunk's text full-text indexed by the store (tsvector + GIN / FTS5) — in one transaction.
 * No operation updates a row that another client also updates: Semantik recomputes collection
 * counters once per batch, and a shared hot row would serialise any store on its row lock.
 *
 * Chunk texts are the search bench's synthetic prose (Zipf-distributed words, ~120 per chunk), so
 * both full-text indexes see realistic vocabularies rather than one repeated word.
 */
import { chunkText, TOPICS } from '../search-synthetic.js';

export const CHUNKS_PER_DOCUMENT = 5;
export const COLLECTION_EVERY = 100;
const TEXT_POOL_SIZE = 1_000;

export interface Workload {
  name: string;
  /** Awaited work inside the transaction, between the document row and its chunks. */
  thinkMs: number;
}

export interface ClientSpec {
  clients: number;
  seconds: number;
  thinkMs: number;
  texts: readonly string[];
}

/** What one client measured; merged across clients by mergeRuns. */
export interface ClientResult {
  ops: number;
  errors: number;
  latencies: number[];
}

export interface RunResult extends ClientResult {
  seconds: number;
}

export function chunkTextPool(): string[] {
  return Array.from({ length: TEXT_POOL_SIZE }, (_, i) => chunkText(i % TOPICS));
}

export function mergeRuns(parts: readonly ClientResult[], seconds: number): RunResult {
  return {
    ops: parts.reduce((s, p) => s + p.ops, 0),
    errors: parts.reduce((s, p) => s + p.errors, 0),
    latencies: parts.flatMap((p) => p.latencies).sort((a, b) => a - b),
    seconds,
  };
}
