/**
 * Pure building blocks of indexing: file → text, text → chunks, chunks → vectors. Nothing here
 * touches the database; the indexing pipeline composes these with repositories.
 */
export { extractText, type ExtractedText, type ExtractTextOptions, type PageSpan } from './extract/document.extractor.js';
export type { DocumentMetadataValue, PageUnit } from './extract/extracted-text.js';
export { OcrEngine } from './ocr/ocr.engine.js';
export { languageDataFolder, type OcrSettings } from './ocr/ocr.settings.js';
export { ExtractionError, type ExtractionFailureReason } from './extract/extraction.error.js';
export { mimeTypeFor, supportedExtensions } from './extract/file-type.registry.js';
export { chunkText, type Chunk, type ChunkOptions } from './chunking/text.chunker.js';
export { embeddingInputFor } from './chunking/chunk.embedding-input.js';
export { chunkContextFor } from './chunking/chunk.context.js';
export {
  EmbeddingError,
  type EmbeddingModelInfo,
  type EmbeddingProvider,
} from './embedding/embedding.provider.js';
export {
  createEmbeddingProvider,
  DEFAULT_EMBEDDING_MODEL,
  listAvailableEmbeddingModels,
  listEmbeddingModels,
  type CreateEmbeddingProviderOptions,
} from './embedding/embedding.registry.js';
