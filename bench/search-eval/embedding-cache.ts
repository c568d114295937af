import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EmbeddingProvider } from '../../src/ingest/index.js';

/**
 * An EmbeddingProvider that remembers vectors on disk by (model, sha1 of the input): the real model
 * still embeds every text once, and re-running the eval after a ranking change takes seconds
 * instead of the ~7 minutes 15k chunks cost on 2 cores. Record = 20-byte hash + dimension × float32.
 */
export class CachedEmbedder implements EmbeddingProvider {
  private readonly vectors = new Map<string, Float32Array>();
  private readonly file: string;
  readonly model: string;
  readonly dimension: number;

  constructor(private readonly inner: EmbeddingProvider, cacheDir: string) {
    this.model = inner.model;
    this.dimension = inner.dimension;
    fs.mkdirSync(cacheDir, { recursive: true });
    this.file = path.join(cacheDir, `${inner.model.replace(/[^\w.-]+/g, '_')}.vectors`);
    if (fs.existsSync(this.file)) {
      const bytes = fs.readFileSync(this.file);
      const record = 20 + this.dimension * 4;
      for (let at = 0; at + record <= bytes.length; at += record) {
        const key = bytes.subarray(at, at + 20).toString('hex');
        const copy = new Float32Array(this.dimension);
        new Uint8Array(copy.buffer).set(bytes.subarray(at + 20, at + record));
        this.vectors.set(key, copy);
      }
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const keys = texts.map((t) => createHash('sha1').update(t).digest('hex'));
    const missing = [...new Set(keys.filter((k) => !this.vectors.has(k)))];
    if (missing.length > 0) {
      const inputs = missing.map((k) => texts[keys.indexOf(k)]!);
      const fresh = await this.inner.embed(inputs);
      const out = fs.openSync(this.file, 'a');
      try {
        missing.forEach((key, i) => {
          const vector = Float32Array.from(fresh[i]!);
          this.vectors.set(key, vector);
          fs.writeSync(out, Buffer.concat([Buffer.from(key, 'hex'), Buffer.from(vector.buffer)]));
        });
      } finally {
        fs.closeSync(out);
      }
    }
    return keys.map((k) => this.vectors.get(k)!);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
