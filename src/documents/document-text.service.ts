import { requireCollectionAccess } from '../access/collection-access.js';
import type { Repositories } from '../db/repositories.js';
import type { CollectionRow, DocumentRow } from '../db/schema.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';

/**
 * Pages of a document's extracted text, rebuilt from its chunks of the collection's active
 * generation (the text the search matched; the original file is not read, so no file I/O here).
 */

export const DEFAULT_PAGE_CHARS = 4000;
export const MAX_PAGE_CHARS = 8000;
/** chunk_size is ≥ 100 characters (collection.routes.ts), so a page never needs more rows than this. */
const MIN_CHUNK_CHARS = 100;

/**
 * A document by id alone (what a search result names), if the caller may read its collection.
 * A document in a collection they cannot read is the same 404 as a missing one.
 */
export async function getReadableDocumentById(
  repos: Repositories,
  principal: Principal,
  documentId: string,
): Promise<{ document: DocumentRow; collection: CollectionRow }> {
  const notFound = () => new NotFoundError(`Document ${documentId} not found`);
  const document = await repos.documents.findById(documentId);
  if (!document) throw notFound();
  try {
    const collection = await requireCollectionAccess(repos, principal, document.collection_id, 'read');
    return { document, collection };
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound();
    throw err;
  }
}

export interface PageChunk {
  chunk_index: number;
  text: string;
  start_offset: number | null;
  end_offset: number | null;
  page: number | null;
}

export interface TextPage {
  text: string;
  /** Chunk to pass as `from_chunk` for the next page; null when this page reached the end. */
  nextFromChunk: number | null;
  /** True when one chunk alone was longer than the page and was cut (raise max_chars to read it whole). */
  cut: boolean;
  /** PDF page where this page's text starts, when known. */
  startPage: number | null;
}

/** Chunk text is exactly `documentText.slice(start, end)` (text.chunker.ts) unless offsets are missing (legacy rows). */
function hasExactOffsets(chunk: PageChunk): chunk is PageChunk & { start_offset: number; end_offset: number } {
  return chunk.start_offset !== null && chunk.end_offset !== null && chunk.end_offset - chunk.start_offset === chunk.text.length;
}

/**
 * Joins chunks into at most `maxChars` characters. Consecutive chunks repeat `chunk_overlap`
 * characters; where offsets are exact the repeat is dropped, so the page reads as the original
 * text. `previous` is the chunk before the page (only its end offset is used).
 */
export function assembleTextPage(previous: PageChunk | undefined, chunks: readonly PageChunk[], maxChars: number, hasMore: boolean): TextPage {
  let text = '';
  let prevEnd = previous && hasExactOffsets(previous) ? previous.end_offset : null;
  let cut = false;
  for (const chunk of chunks) {
    let piece = chunk.text;
    let continues = false;
    if (hasExactOffsets(chunk) && prevEnd !== null && chunk.start_offset <= prevEnd) {
      piece = piece.slice(Math.min(piece.length, prevEnd - chunk.start_offset));
      continues = true;
    }
    const separator = text && !continues ? '\n\n' : '';
    if (text.length + separator.length + piece.length > maxChars) {
      if (text.length > 0) return { text, nextFromChunk: chunk.chunk_index, cut, startPage: chunks[0]?.page ?? null };
      text = piece.slice(0, maxChars);
      cut = true;
      const next = chunks[chunks.indexOf(chunk) + 1];
      return { text, nextFromChunk: next ? next.chunk_index : hasMore ? chunk.chunk_index + 1 : null, cut, startPage: chunk.page };
    }
    text += separator + piece;
    prevEnd = hasExactOffsets(chunk) ? chunk.end_offset : null;
  }
  const last = chunks.at(-1);
  return { text, nextFromChunk: hasMore && last ? last.chunk_index + 1 : null, cut, startPage: chunks[0]?.page ?? null };
}

export interface DocumentTextPage {
  document: DocumentRow;
  collection: CollectionRow;
  fromChunk: number;
  page: TextPage;
}

/** One page of a readable document's text, from chunk `fromChunk` on: one permission check, one bounded SELECT. */
export async function readDocumentTextPage(
  repos: Repositories,
  principal: Principal,
  documentId: string,
  options: { fromChunk: number; maxChars: number },
): Promise<DocumentTextPage> {
  const { document, collection } = await getReadableDocumentById(repos, principal, documentId);
  const fetchFrom = Math.max(0, options.fromChunk - 1);
  const rowsNeeded = Math.ceil(options.maxChars / MIN_CHUNK_CHARS) + 1;
  // +1 before (overlap with the previous page) and +1 after (is there more?).
  const rows = await repos.chunks.listPageByDocument(document.id, collection.active_generation, fetchFrom, rowsNeeded + 2);
  const previous = rows[0] && rows[0].chunk_index < options.fromChunk ? rows[0] : undefined;
  const inPage = rows.filter((r) => r.chunk_index >= options.fromChunk);
  const hasMore = inPage.length > rowsNeeded;
  const page = assembleTextPage(previous, inPage.slice(0, rowsNeeded), options.maxChars, hasMore);
  return { document, collection, fromChunk: options.fromChunk, page };
}
