import path from 'node:path';
import type { Chunk } from './text.chunker.js';

/** Longest context in characters: a title and a deep heading path fit; a runaway heading does not swamp BM25's field. */
const MAX_CONTEXT_CHARS = 400;

/**
 * The keyword-search fields of a chunk (stored in `chunks.context`, indexed as `tsv`'s weight-A
 * part): document title, heading path and file name — the strongest evidence of what a page is
 * about. The file name is given whole (`os.path.html` stays one token for exact look-ups) and split
 * at dots, dashes and underscores (`child_process.md` → "child process"), so words of a name match
 * words of a question.
 */
export function chunkContextFor(chunk: Pick<Chunk, 'headingPath'>, documentTitle: string | undefined, fileName: string): string {
  const stem = path.basename(fileName, path.extname(fileName));
  const parts = [documentTitle ?? '', ...chunk.headingPath, fileName, stem.replace(/[._-]+/g, ' ')];
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of parts) {
    const part = raw.replace(/\s+/g, ' ').trim();
    if (!part || seen.has(part.toLowerCase())) continue;
    seen.add(part.toLowerCase());
    kept.push(part);
  }
  const context = kept.join(' \n ');
  return context.length > MAX_CONTEXT_CHARS ? context.slice(0, MAX_CONTEXT_CHARS) : context;
}
