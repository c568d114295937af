import { parentPort } from 'node:worker_threads';
import { loadUseLiteModel } from './use-lite.model.js';

/**
 * Worker-thread entry for the USE-lite pool: loads the model once, then embeds one batch per
 * message. Protocol (see `use-lite.provider.ts`):
 *   parent → worker  { id, texts }
 *   worker → parent  { type: 'ready' } | { type: 'load-failed', message }
 *                    { id, vectors: Float32Array } | { id, error }
 */
export interface EmbedRequest {
  id: number;
  texts: string[];
}
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; vectors: Float32Array }
  | { type: 'failed'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('use-lite.worker must be started as a worker thread');

const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

try {
  const model = await loadUseLiteModel();
  port.on('message', (request: EmbedRequest) => {
    // One batch at a time: the model is single-threaded and the parent only sends when idle.
    model.embedBatch(request.texts).then(
      (vectors) => send({ type: 'result', id: request.id, vectors }, [vectors.buffer as ArrayBuffer]),
      (err: unknown) => send({ type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'load-failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
