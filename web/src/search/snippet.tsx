import type { ReactNode } from 'react';
import type { SearchSnippet } from '../api/api.types';
import { Highlight, MARK_CLASS } from './highlight';

type Range = [number, number];

/**
 * Makes server ranges safe to slice by: drops malformed or empty ones, clamps to the text,
 * sorts, and merges overlaps so no character is marked (or rendered) twice.
 */
export function normalizeRanges(ranges: unknown, length: number): Range[] {
  if (!Array.isArray(ranges)) return [];
  const clamped: Range[] = [];
  for (const range of ranges) {
    if (!Array.isArray(range) || !Number.isInteger(range[0]) || !Number.isInteger(range[1])) continue;
    const start = Math.max(0, range[0] as number);
    const end = Math.min(length, range[1] as number);
    if (start < end) clamped.push([start, end]);
  }
  clamped.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const [start, end] of clamped) {
    const last = merged.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** Plain text with exactly the given [start, end) ranges wrapped in <mark> (React nodes, no HTML). */
export function MarkedText({ text, ranges }: { text: string; ranges: unknown }): ReactNode {
  const nodes: ReactNode[] = [];
  let cursor = 0;
  for (const [start, end] of normalizeRanges(ranges, text.length)) {
    if (start > cursor) nodes.push(text.slice(cursor, start));
    nodes.push(
      <mark key={start} className={MARK_CLASS}>
        {text.slice(start, end)}
      </mark>,
    );
    cursor = end;
  }
  if (cursor < text.length) nodes.push(text.slice(cursor));
  return nodes;
}

/** The server's snippet when it sent one, else the chunk text with the query words highlighted client-side. */
export function ResultSnippet({ snippet, text, query }: { snippet?: SearchSnippet | null; text: string | null; query: string }): ReactNode {
  if (snippet?.text) return <MarkedText text={snippet.text} ranges={snippet.highlights} />;
  return text ? <Highlight text={text} query={query} /> : null;
}
