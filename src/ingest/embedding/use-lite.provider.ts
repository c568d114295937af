import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import { EmbeddingError, type EmbeddingProvider } from './embedding.provider.js';
import { USE_LITE_DIMENSION } from './use-lite.model.js';
import type { EmbedRequest, WorkerReply } from './use-lite.worker.js';

export const USE_LITE_MODEL_NAME = 'universal-sentence-encoder-lite';

/**
 * Texts per model call. 32 gave 18.5 chunks/s vs 17.6 at 16 and 13.3 at 1 (one core, 800-char
 * chunks); larger batches only cost memory (the 128-token activations are ~25 MB per 32 texts).
 */
const BATCH_SIZE = 32;

/**
 * Characters handed to a worker per text. The model reads 128 tokens (~500–800 chars); 4,000 is
 * comfortably more, and stops a 10 MB "chunk" from being copied to a thread for nothing.
 */
const MAX_INPUT_CHARS = 4_000;

interface PendingBatch {
  request: EmbedRequest;
  resolve(vectors: Float32Array): void;
  reject(err: Error): void;
}

interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  busy: PendingBatch | undefined;
}

/**
 * USE-lite on a pool of worker threads, one model per thread. TensorFlow.js's WASM backend cannot
 * use threads under Node (its threaded build needs browser Workers), so one thread per core is how
 * embedding uses the whole machine — and it keeps the ~50 ms per text off the event loop.
 */
export class UseLiteEmbeddingProvider implements EmbeddingProvider {
  readonly model = USE_LITE_MODEL_NAME;
  readonly dimension = USE_LITE_DIMENSION;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: PendingBatch[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly threads: number = defaultEmbeddingThreads()) {
    if (!Number.isInteger(threads) || threads < 1) throw new EmbeddingError(`threads must be a positive integer, got ${threads}`);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) throw new EmbeddingError(`embedding provider ${this.model} is closed`);
    if (texts.length === 0) return [];
    this.startWorkers();
    // Spread small calls over all threads (10 texts on 2 threads → 2 batches of 5).
    const batchSize = Math.max(1, Math.min(BATCH_SIZE, Math.ceil(texts.length / this.threads)));
    const batches: Promise<Float32Array>[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const slice = texts.slice(start, start + batchSize).map((t) => (t.length > MAX_INPUT_CHARS ? t.slice(0, MAX_INPUT_CHARS) : t));
      batches.push(this.submit(slice));
    }
    const results: Float32Array[] = [];
    for (const flat of await Promise.all(batches)) {
      for (let offset = 0; offset < flat.length; offset += this.dimension) {
        results.push(flat.subarray(offset, offset + this.dimension));
      }
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new EmbeddingError(`embedding provider ${this.model} was closed while embedding`);
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const w of this.workers) w.busy?.reject(error);
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private submit(texts: string[]): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, texts }, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (w.busy) continue;
      const pending = this.queue.shift()!;
      w.busy = pending;
      w.worker.ref(); // idle workers are unref'd so a forgotten provider never holds the process open
      w.ready.then(
        () => w.worker.postMessage(pending.request),
        () => undefined, // load failure already rejected `busy` in the message handler
      );
    }
  }

  private startWorkers(): void {
    while (this.workers.length < this.threads) this.workers.push(this.spawn());
  }

  private spawn(): PoolWorker {
    const worker = startWorker();
    worker.unref();
    let markReady!: () => void;
    let markFailed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => undefined);
    const self: PoolWorker = { worker, ready, busy: undefined };

    const finish = (fn: (pending: PendingBatch) => void) => {
      const pending = self.busy;
      self.busy = undefined;
      worker.unref();
      if (pending) fn(pending);
      this.dispatch();
    };
    const fail = (err: Error) => {
      markFailed(err);
      // Everything waiting fails too: a worker that cannot load the model means none can.
      finish((pending) => pending.reject(err));
      for (const pending of this.queue.splice(0)) pending.reject(err);
      const index = this.workers.indexOf(self);
      if (index >= 0) this.workers.splice(index, 1);
      void worker.terminate();
    };

    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') markReady();
      else if (reply.type === 'load-failed') fail(new EmbeddingError(`could not load ${USE_LITE_MODEL_NAME}: ${reply.message}`));
      else if (reply.type === 'result') finish((pending) => pending.resolve(reply.vectors));
      else finish((pending) => pending.reject(new EmbeddingError(`embedding failed: ${reply.message}`)));
    });
    worker.on('error', (err) => fail(new EmbeddingError(`embedding worker crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.closed && this.workers.includes(self)) fail(new EmbeddingError(`embedding worker exited with code ${code}`));
    });
    return self;
  }
}

/** `SEMANTIK_EMBED_THREADS`, else one thread per core. Validated by the registry's env schema. */
export function defaultEmbeddingThreads(): number {
  return os.availableParallelism();
}

/** The model's worker thread (compiled `.js`, or the `.ts` source under tsx / vitest). */
function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'use-lite.worker');
}
