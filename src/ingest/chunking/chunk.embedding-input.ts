import type { Chunk } from './text.chunker.js';

/**
 * Longest context prefix, in characters. The default model reads only ~128 tokens (~500–800
 * chars), so a long title or a deep heading path must not crowd out the chunk's own text.
 */
const MAX_PREFIX_CHARS = 200;
const MAX_PART_CHARS = 80;

/**
 * The text handed to the embedding model for a chunk: "Title > H1 > H2\n\n" + chunk text. The
 * prefix tells the model what the chunk is about (a title/heading prefix measurably helps
 * retrieval) and exists only in the embedding input — stored chunk text stays exactly the slice
 * of the document its offsets point to.
 */
export function embeddingInputFor(chunk: Pick<Chunk, 'text' | 'headingPath'>, documentTitle?: string): string {
  const parts: string[] = [];
  for (const raw of [documentTitle ?? '', ...chunk.headingPath]) {
    const part = raw.replace(/\s+/g, ' ').trim();
    if (!part) continue;
    // A document's title is usually also its first H1; say it once.
    if (parts.length > 0 && parts[parts.length - 1]!.toLowerCase() === part.toLowerCase()) continue;
    parts.push(part.length > MAX_PART_CHARS ? `${part.slice(0, MAX_PART_CHARS - 1)}…` : part);
  }
  if (parts.length === 0) return chunk.text;
  let prefix = parts.join(' > ');
  if (prefix.length > MAX_PREFIX_CHARS) prefix = `…${prefix.slice(prefix.length - MAX_PREFIX_CHARS + 1)}`;
  return `${prefix}\n\n${chunk.text}`;
}
