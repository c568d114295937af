import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { languageDataFolder, type OcrSettings } from './ocr.settings.js';
import { PageRenderer } from './page.renderer.js';

export interface RecognizedPage {
  text: string;
  /** Tesseract's mean word confidence, 0–100. */
  confidence: number;
}

/** A page that could not be read within what was left of its document's time budget. */
export class OcrTimeoutError extends Error {
  override name = 'OcrTimeoutError';
}

/**
 * One Tesseract worker for a whole job, started on the first page that needs it (start-up loads
 * ~10 MB of model and takes 1–3 s, so a job of text files pays nothing) and terminated by the job.
 * tesseract.js runs recognition in its own worker_thread, so the event loop (HTTP, heartbeats)
 * stays free while a page is read; pages are recognised one at a time, in arrival order.
 */
export class OcrEngine {
  private worker: Promise<Worker> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private dataDir: string | undefined;
  private closed = false;
  /** Pages recognised and the time Tesseract spent on them, over the engine's life (job metrics, bench). */
  readonly totals = { pages: 0, recognizeMs: 0, workersStarted: 0 };
  /** PDF pages and TIFF frames → PNG, in a worker thread of its own. */
  readonly renderer = new PageRenderer();

  constructor(readonly settings: OcrSettings) {}

  /** Budget for one document: pages and recognition time (waiting behind other documents is not counted). */
  budget(): OcrBudget {
    return new OcrBudget(this);
  }

  /**
   * Recognises one image. A page still running after `timeoutMs` cannot be interrupted inside
   * Tesseract, so its worker is terminated (the next page starts a new one, 1–3 s) and the page
   * fails with OcrTimeoutError: a document's time budget is a limit, not a hint.
   */
  recognize(image: Uint8Array, timeoutMs: number): Promise<RecognizedPage & { ms: number }> {
    const run = this.tail.then(async () => {
      if (this.closed) throw new Error('OCR engine closed');
      const starting = this.start();
      const worker = await starting;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (this.worker === starting) this.worker = undefined;
          void worker.terminate().catch(() => undefined);
          reject(new OcrTimeoutError(`OCR of one page took over ${Math.round(timeoutMs)} ms (SEMANTIK_OCR_MAX_SECONDS)`));
        }, Math.max(0, timeoutMs));
      });
      try {
        const { data } = await Promise.race([worker.recognize(Buffer.from(image)), timeout]);
        const ms = performance.now() - started;
        this.totals.pages++;
        this.totals.recognizeMs += ms;
        return { text: data.text ?? '', confidence: data.confidence ?? 0, ms };
      } finally {
        clearTimeout(timer);
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.then((w) => w.terminate()).catch(() => undefined);
    await this.renderer.close();
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private start(): Promise<Worker> {
    if (!this.worker) {
      this.totals.workersStarted++;
      this.worker = createWorker(this.settings.languages, OEM.LSTM_ONLY, {
        langPath: this.languageFolder(),
        gzip: true,
        // 'none': never read or write a traineddata cache in the working directory.
        cacheMethod: 'none',
        // Without a handler tesseract.js rethrows a failed job (an unreadable image) as an
        // uncaught exception, which would kill the worker process; the job's promise rejects anyway.
        errorHandler: () => undefined,
      });
      this.worker.catch(() => {
        this.worker = undefined; // a failed start is retried by the next page, not cached
      });
    }
    return this.worker;
  }

  /** tesseract.js reads every language from one folder: with languages from several packages, link them into one. */
  private languageFolder(): string {
    const folders = this.settings.languages.map((code) => {
      const folder = languageDataFolder(code);
      if (!folder) throw new Error(`OCR language "${code}" is not installed: npm install @tesseract.js-data/${code}, or remove it from SEMANTIK_OCR_LANGUAGES`);
      return folder;
    });
    if (new Set(folders).size === 1) return folders[0]!;
    this.dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-ocr-'));
    this.settings.languages.forEach((code, i) => {
      const target = path.join(this.dataDir!, `${code}.traineddata.gz`);
      if (!fs.existsSync(target)) fs.symlinkSync(path.join(folders[i]!, `${code}.traineddata.gz`), target);
    });
    return this.dataDir;
  }
}

/** What one document may still spend, and what it did: recorded in the document's metadata. */
export class OcrBudget {
  readonly pages: number[] = [];
  private readonly confidences: number[] = [];
  private spentMs = 0;
  skipped = 0;

  constructor(readonly engine: OcrEngine) {}

  get exhausted(): boolean {
    const { maxPagesPerDocument } = this.engine.settings;
    return this.pages.length >= maxPagesPerDocument || this.remainingMs() <= 0;
  }

  private remainingMs(): number {
    return this.engine.settings.maxSecondsPerDocument * 1000 - this.spentMs;
  }

  /**
   * Recognises one page (1-based number) unless the budget is spent (then undefined, counted as
   * skipped). A blank page (`image` resolves to undefined) costs nothing and is not recorded.
   */
  async recognizePage(page: number, image: () => Promise<Uint8Array | undefined>): Promise<string | undefined> {
    if (this.exhausted) {
      this.skipped++;
      return undefined;
    }
    const png = await image();
    if (!png) return undefined;
    let result: RecognizedPage & { ms: number };
    try {
      result = await this.engine.recognize(png, this.remainingMs());
    } catch (err) {
      if (!(err instanceof OcrTimeoutError)) throw err;
      this.spentMs = Infinity;
      this.skipped++;
      return undefined;
    }
    this.spentMs += result.ms;
    this.pages.push(page);
    this.confidences.push(result.confidence);
    return result.text;
  }

  /** `ocr_pages`, `ocr_confidence` (mean, 0–100), `ocr_pages_skipped` (over budget); empty when nothing was OCR'd. */
  metadata(): Record<string, number | number[]> {
    if (this.pages.length === 0 && this.skipped === 0) return {};
    const mean = this.confidences.reduce((a, b) => a + b, 0) / Math.max(1, this.confidences.length);
    return {
      ocr_pages: [...this.pages],
      ocr_confidence: Math.round(mean * 10) / 10,
      ...(this.skipped > 0 ? { ocr_pages_skipped: this.skipped } : {}),
    };
  }
}
