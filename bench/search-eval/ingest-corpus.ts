import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../src/db/database.js';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { chunkRowsFor, prepareDocuments } from '../../src/indexing/document.processor.js';
import { extractText, type EmbeddingProvider } from '../../src/ingest/index.js';
import type { Fts5Baseline } from './fts5-baseline.js';

export interface IngestedCorpus {
  collectionId: string;
  files: number;
  failed: number;
  chunks: number;
}

const BATCH = 32;
const MAX_BYTES = 50 * 2 ** 20;

/**
 * Indexes a folder the way an index operation does — the product's extraction, chunking, context
 * fields, embedding input and chunk rows (prepareDocuments, chunkRowsFor), committed per batch —
 * without the queue, so the eval measures ranking and nothing else. The baseline gets the same
 * extracted text per file.
 */
export async function ingestCorpus(
  database: Database,
  options: { ownerId: number; name: string; dir: string; embedder: EmbeddingProvider; baseline: Fts5Baseline },
): Promise<IngestedCorpus> {
  const { embedder, dir } = options;
  const collection = await inUnitOfWork(database, (tx) =>
    repositoriesFor(tx).collections.insert({
      name: options.name,
      owner_id: options.ownerId,
      vector_store_name: `vs_${randomUUID()}`,
      embedding_model: embedder.model,
      embedding_dimension: embedder.dimension,
      is_public: false,
    }),
  );
  const files = fs.readdirSync(dir).sort().map((name) => path.join(dir, name));
  let failed = 0;
  let chunks = 0;
  for (let at = 0; at < files.length; at += BATCH) {
    const batch = files.slice(at, at + BATCH).map((file) => ({ path: file }));
    const prepared = await prepareDocuments(batch, {
      chunkSize: 1000,
      chunkOverlap: 200,
      maxFileSizeBytes: MAX_BYTES,
      documentRoots: [dir],
      embedder,
      addMetric: () => {},
    });
    for (const doc of prepared) {
      if (!doc.ok) continue;
      const { text } = await extractText(doc.input.path, { maxBytes: MAX_BYTES, documentRoots: [dir] });
      options.baseline.add(path.basename(doc.input.path), text);
    }
    await inUnitOfWork(database, async (tx) => {
      const repos = repositoriesFor(tx);
      for (const doc of prepared) {
        if (!doc.ok) {
          failed++;
          continue;
        }
        const row = await repos.documents.insert({
          collection_id: collection.id,
          file_path: doc.input.path,
          file_name: path.basename(doc.input.path),
          file_size: fs.statSync(doc.input.path).size,
          mime_type: doc.mimeType,
          content_hash: createHash('sha256').update(fs.readFileSync(doc.input.path)).digest('hex'),
          status: 'completed',
          chunk_count: doc.chunks.length,
          metadata: doc.title ? { title: doc.title } : {},
        });
        await repos.chunks.insertMany(
          chunkRowsFor(doc.chunks, doc.title, { collectionId: collection.id, documentId: row.id, generation: 1, filePath: doc.input.path }),
          { model: embedder.model, dimension: embedder.dimension },
        );
        chunks += doc.chunks.length;
      }
    });
    process.stdout.write(`\r${options.name}: ${Math.min(at + BATCH, files.length)}/${files.length} files, ${chunks} chunks`);
  }
  process.stdout.write('\n');
  return { collectionId: collection.id, files: files.length - failed, failed, chunks };
}
