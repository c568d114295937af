import { createHash } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NewChunk } from '../chunks/chunk.repository.js';
import {
  chunkContextFor,
  chunkText,
  embeddingInputFor,
  ExtractionError,
  extractText,
  type Chunk,
  type DocumentMetadataValue,
  type EmbeddingProvider,
  type OcrEngine,
  type PageUnit,
} from '../ingest/index.js';

/** What the pipeline reads about one file, with no database involved. */
export interface DocumentInput {
  path: string;
  /** A failure known before reading (from the scanner): the document is failed without extracting. */
  problem?: string;
}

export interface PreparedChunk {
  chunk: Chunk;
  embedding: Float32Array | number[];
  /** embeddingKeyOf(model, input): stored with the vector so a later run can reuse it. */
  embeddingKey: string;
}

/**
 * The identity of a vector: the model and the exact text it embedded (the chunk text with its
 * title/heading prefix). Same key → same vector, so it is copied instead of computed again.
 */
export function embeddingKeyOf(model: string, input: string): string {
  return createHash('sha256').update(model).update('\0').update(input).digest('hex');
}

/** What the extractor learnt about a document beyond its text: stored as documents.metadata. */
export interface ExtractedFacts {
  title?: string;
  pageCount?: number;
  /** Slides, sheets, chapters or messages when the document's `page` numbers count those. */
  pageUnit?: PageUnit;
  metadata: Record<string, DocumentMetadataValue>;
}

export type PreparedDocument<T extends DocumentInput> =
  | ({ input: T; ok: true; mimeType: string; chunks: PreparedChunk[] } & ExtractedFacts)
  | { input: T; ok: false; mimeType: string | null; error: string };

export interface PrepareOptions {
  chunkSize: number;
  chunkOverlap: number;
  maxFileSizeBytes: number;
  documentRoots: readonly string[];
  /** SEMANTIK_ALLOW_DOT_PATHS; default false. */
  allowDotPaths?: boolean;
  embedder: EmbeddingProvider;
  /** The job's OCR engine (one Tesseract worker for the whole job); absent when SEMANTIK_OCR=off. */
  ocr?: OcrEngine;
  /**
   * Stored vectors of this collection by embedding key (only keys that exist are returned).
   * Chunks found there are not sent to the embedder: re-indexing unchanged text costs a lookup,
   * not ~50 ms of model time per chunk.
   */
  reuseEmbeddings?: (keys: string[]) => Promise<Map<string, number[]>>;
  /** Accumulates `extract_ms` (read + extract + chunk, OCR included), `ocr_pages`, `ocr_ms` (Tesseract time) and `embed_ms`. */
  addMetric(name: string, value: number): void;
}

/**
 * Files extracted at once: extraction is mostly synchronous CPU (PDF parsing, HTML to text), so
 * more than a few in flight only adds memory; 4 overlaps the file reads.
 */
const EXTRACT_CONCURRENCY = 4;

/**
 * Extract → chunk → embed for one batch of files, outside any transaction. A bad file (corrupt,
 * binary, empty, too large, unreadable, escaping the roots) becomes `ok: false` with the reason and
 * the batch goes on; embedding errors are not per-file and propagate (the worker retries them).
 */
export async function prepareDocuments<T extends DocumentInput>(inputs: readonly T[], options: PrepareOptions): Promise<PreparedDocument<T>[]> {
  const extractStart = performance.now();
  const ocrBefore = options.ocr ? { ...options.ocr.totals } : undefined;
  const extracted: (
    | ({ input: T; ok: true; mimeType: string; chunks: Chunk[] } & ExtractedFacts)
    | { input: T; ok: false; mimeType: string | null; error: string }
  )[] = new Array(inputs.length);
  let next = 0;
  const extractWorker = async () => {
    while (next < inputs.length) {
      const index = next++;
      extracted[index] = await extractOne(inputs[index]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(EXTRACT_CONCURRENCY, inputs.length) }, extractWorker));
  options.addMetric('extract_ms', performance.now() - extractStart);
  if (options.ocr && ocrBefore && options.ocr.totals.pages > ocrBefore.pages) {
    options.addMetric('ocr_pages', options.ocr.totals.pages - ocrBefore.pages);
    options.addMetric('ocr_ms', options.ocr.totals.recognizeMs - ocrBefore.recognizeMs);
  }

  const model = options.embedder.model;
  const keyed = extracted.map((doc) =>
    doc.ok
      ? doc.chunks.map((chunk) => {
          const input = embeddingInputFor(chunk, doc.title);
          return { input, key: embeddingKeyOf(model, input) };
        })
      : [],
  );
  const allKeys = [...new Set(keyed.flat().map((k) => k.key))];
  const reused = allKeys.length > 0 && options.reuseEmbeddings ? await options.reuseEmbeddings(allKeys) : new Map<string, number[]>();
  // Each missing text is embedded once, even when it repeats within the batch.
  const toEmbed = new Map<string, string>();
  for (const { input, key } of keyed.flat()) if (!reused.has(key) && !toEmbed.has(key)) toEmbed.set(key, input);
  const embedStart = performance.now();
  const texts = [...toEmbed.values()];
  const vectors = texts.length > 0 ? await options.embedder.embed(texts) : [];
  options.addMetric('embed_ms', performance.now() - embedStart);
  options.addMetric('chunks_embedded', texts.length);
  options.addMetric('chunks_reused', allKeys.length - texts.length);
  if (vectors.length !== texts.length) {
    throw new Error(`embedding model ${model} returned ${vectors.length} vectors for ${texts.length} texts`);
  }
  const fresh = new Map([...toEmbed.keys()].map((key, i) => [key, vectors[i]!]));

  return extracted.map((doc, d) => {
    if (!doc.ok) return doc;
    const chunks = doc.chunks.map((chunk, c) => {
      const key = keyed[d]![c]!.key;
      return { chunk, embedding: reused.get(key) ?? fresh.get(key)!, embeddingKey: key };
    });
    return { ...doc, chunks };
  });
}

async function extractOne<T extends DocumentInput>(input: T, options: PrepareOptions) {
  if (input.problem) return { input, ok: false as const, mimeType: null, error: input.problem };
  try {
    // The extractor opens through document-roots: containment is checked on the open descriptor.
    const extracted = await extractText(input.path, {
      maxBytes: options.maxFileSizeBytes,
      documentRoots: options.documentRoots,
      allowDotPaths: options.allowDotPaths ?? false,
      ...(options.ocr ? { ocr: options.ocr } : {}),
    });
    const chunks = chunkText(extracted.text, {
      chunkSize: options.chunkSize,
      chunkOverlap: options.chunkOverlap,
      format: extracted.format,
      pages: extracted.pages,
    });
    if (chunks.length === 0) return { input, ok: false as const, mimeType: extracted.mimeType, error: 'no extractable text' };
    return {
      input,
      ok: true as const,
      mimeType: extracted.mimeType,
      ...(extracted.title ? { title: extracted.title } : {}),
      ...pageCountOf(extracted.metadata, extracted.pages?.length),
      ...(extracted.pageUnit && extracted.pageUnit !== 'page' ? { pageUnit: extracted.pageUnit } : {}),
      metadata: extracted.metadata ?? {},
      chunks,
    };
  } catch (err) {
    if (err instanceof ExtractionError) return { input, ok: false as const, mimeType: null, error: `${err.reason}: ${err.message}` };
    // A parser crashing on a hostile file is still that file's problem, not the operation's.
    return { input, ok: false as const, mimeType: null, error: `extraction failed: ${(err as Error).message ?? String(err)}` };
  }
}

/** A PDF's page count from its metadata (blank pages included), else the number of numbered sections. */
function pageCountOf(metadata: Record<string, DocumentMetadataValue> | undefined, sections: number | undefined): { pageCount?: number } {
  const fromMetadata = metadata?.['page_count'];
  if (typeof fromMetadata === 'number') return { pageCount: fromMetadata };
  return sections ? { pageCount: sections } : {};
}

/**
 * documents.metadata for an extracted document: the format's facts (author, dates, mail headers,
 * language, OCR pages and confidence), the title, the page count and what a `page` counts.
 * Every key is filterable with `metadata_filter`.
 */
export function documentMetadata(facts: ExtractedFacts): Record<string, unknown> {
  const { page_count: _pageCount, ...rest } = facts.metadata;
  return {
    ...rest,
    ...(facts.title ? { title: facts.title } : {}),
    ...(facts.pageCount ? { page_count: facts.pageCount } : {}),
    ...(facts.pageUnit ? { page_unit: facts.pageUnit } : {}),
  };
}

/**
 * Chunk metadata stored as jsonb (offsets and page have their own columns). A slide, sheet,
 * chapter or message number is repeated under its own name (`{"slide": 3}`) so a filter or a
 * result can say "slide 3" without knowing the document's page unit. A chunk running over a page
 * break keeps its first page in `page` and its last in `end_page` ("pages 11–12").
 */
export function chunkMetadata(chunk: Chunk, title: string | undefined, pageUnit?: PageUnit): Record<string, unknown> {
  return {
    heading_path: chunk.headingPath,
    ...(title ? { title } : {}),
    ...(chunk.endPage !== undefined ? { end_page: chunk.endPage } : {}),
    ...(pageUnit && pageUnit !== 'page' && chunk.page !== undefined ? { [pageUnit]: chunk.page } : {}),
  };
}

/** The rows a prepared document's chunks become, for ChunkRepository.insertMany. */
export function chunkRowsFor(
  chunks: readonly PreparedChunk[],
  title: string | undefined,
  target: { collectionId: string; documentId: string; generation: number; filePath: string },
  pageUnit?: PageUnit,
): NewChunk[] {
  const fileName = path.basename(target.filePath);
  return chunks.map(({ chunk, embedding, embeddingKey }) => ({
    collection_id: target.collectionId,
    document_id: target.documentId,
    generation: target.generation,
    chunk_index: chunk.index,
    text: chunk.text,
    context: chunkContextFor(chunk, title, fileName),
    start_offset: chunk.startOffset,
    end_offset: chunk.endOffset,
    page: chunk.page ?? null,
    metadata: chunkMetadata(chunk, title, pageUnit),
    embedding,
    embedding_key: embeddingKey,
  }));
}
