import type { ReactNode } from 'react';

export const MARK_CLASS = 'rounded bg-yellow-200 px-0.5 text-inherit dark:bg-yellow-700/70';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Query words worth highlighting: two or more letters, longest first so "search" wins over "sea". */
export function queryTerms(query: string): string[] {
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 2);
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

/**
 * Wraps each case-insensitive occurrence of a query term that starts a word in <mark>: "rise"
 * marks the stem of "rises" (keyword search stems too) but not the middle of "arise".
 */
export function Highlight({ text, query }: { text: string; query: string }): ReactNode {
  const terms = queryTerms(query);
  if (terms.length === 0) return text;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${terms.map(escapeRegExp).join('|')})`, 'giu');
  const parts = text.split(pattern);
  return parts.map((part, index) =>
    // split() with one capture group puts the matches at odd indexes.
    index % 2 === 1 ? (
      <mark key={index} className={MARK_CLASS}>
        {part}
      </mark>
    ) : (
      part
    ),
  );
}
