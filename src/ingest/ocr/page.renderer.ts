import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import type { RenderReply, RenderRequest } from './page-render.worker.js';

export interface RenderableDocument {
  pageCount: number;
  /** The page as PNG, or undefined when it is blank (nothing for OCR to read). */
  renderPage(page: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

type Pending = { resolve(reply: RenderReply & { ok: true }): void; reject(err: Error): void };

/**
 * PDF pages and TIFF frames → PNG in one worker thread per job (mupdf's WASM build, ~10 MB,
 * loaded when the first scanned page appears), so rendering never blocks the event loop.
 */
export class PageRenderer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  async open(bytes: Uint8Array, magic: string): Promise<RenderableDocument> {
    const docId = this.nextId++;
    const { pageCount } = await this.send({ id: 0, op: 'open', docId, bytes: new Uint8Array(bytes), magic });
    return {
      pageCount: pageCount ?? 0,
      renderPage: async (page) => {
        const reply = await this.send({ id: 0, op: 'render', docId, page });
        return reply.blank ? undefined : reply.png;
      },
      close: async () => {
        await this.send({ id: 0, op: 'close', docId }).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private send(request: RenderRequest): Promise<RenderReply & { ok: true }> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(import.meta.url, 'page-render.worker');
    worker.unref(); // never what keeps the process alive; close() ends it with the job
    worker.on('message', (reply: RenderReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply);
      else pending.reject(new Error(reply.message));
    });
    const failAll = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`page renderer exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
