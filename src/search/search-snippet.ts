import { SNIPPET_MARK_END, SNIPPET_MARK_START } from './search.repository.js';
import type { SearchSnippet } from './search.schema.js';

/**
 * ts_headline's output (terms wrapped in SNIPPET_MARK_START/END, which cannot occur in the text: the
 * statement removes them first) → plain text plus [start, end) offsets, so clients mark terms without
 * parsing HTML. No marked term → null: the passage would only be the chunk's first words.
 */
export function snippetFromHeadline(headline: string | null): SearchSnippet | null {
  if (!headline || !headline.includes(SNIPPET_MARK_START)) return null;
  let text = '';
  const highlights: Array<[number, number]> = [];
  let open: number | undefined;
  for (const ch of headline) {
    if (ch === SNIPPET_MARK_START) open = text.length;
    else if (ch === SNIPPET_MARK_END) {
      if (open !== undefined && text.length > open) highlights.push([open, text.length]);
      open = undefined;
    } else text += ch;
  }
  return { text, highlights };
}
