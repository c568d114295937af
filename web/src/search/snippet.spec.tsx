import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { MarkedText, normalizeRanges, ResultSnippet } from './snippet';

function marks(container: HTMLElement): (string | null)[] {
  return [...container.querySelectorAll('mark')].map((mark) => mark.textContent);
}

describe('MarkedText', () => {
  it('marks exactly the given ranges and keeps the rest as plain text', () => {
    const { container } = render(<p><MarkedText text="…indexes searching quickly…" ranges={[[9, 18]]} /></p>);
    expect(marks(container)).toEqual(['searching']);
    expect(container.textContent).toBe('…indexes searching quickly…');
  });

  it('handles unsorted, overlapping and out-of-bounds ranges without duplicating text', () => {
    const text = 'alpha beta gamma';
    const ranges = [[11, 99], [6, 10], [0, 3], [2, 5], [-4, 1], [20, 30], [8, 8], [7, 9]];
    const { container } = render(<p><MarkedText text={text} ranges={ranges} /></p>);
    expect(marks(container)).toEqual(['alpha', 'beta', 'gamma']);
    expect(container.textContent).toBe(text);
  });

  it('ignores malformed ranges', () => {
    expect(normalizeRanges([[1.5, 3], ['0', 2], [1], null, [0, 2]], 5)).toEqual([[0, 2]]);
    expect(normalizeRanges(undefined, 5)).toEqual([]);
  });

  it('renders the text unmarked when there are no highlights', () => {
    const { container } = render(<p><MarkedText text="nothing to mark" ranges={[]} /></p>);
    expect(marks(container)).toEqual([]);
    expect(container.textContent).toBe('nothing to mark');
  });

  it('renders markup in the text as text, not HTML', () => {
    const { container } = render(<p><MarkedText text="<b>bold</b>" ranges={[[3, 7]]} /></p>);
    expect(container.querySelector('b')).toBeNull();
    expect(marks(container)).toEqual(['bold']);
  });
});

describe('ResultSnippet', () => {
  it('prefers the server snippet over client-side highlighting', () => {
    const snippet = { text: 'the runners ran', highlights: [[4, 11]] as [number, number][] };
    const { container } = render(<p><ResultSnippet snippet={snippet} text="Full chunk: the runners ran" query="run" /></p>);
    expect(marks(container)).toEqual(['runners']);
    expect(container.textContent).toBe('the runners ran');
  });

  it.each([null, undefined])('falls back to highlighting the chunk text when the snippet is %s', (snippet) => {
    const { container } = render(<p><ResultSnippet snippet={snippet} text="Vector search is fast" query="search" /></p>);
    expect(marks(container)).toEqual(['search']);
    expect(container.textContent).toBe('Vector search is fast');
  });

  it('renders nothing without a snippet or text', () => {
    const { container } = render(<p><ResultSnippet snippet={null} text={null} query="search" /></p>);
    expect(container.textContent).toBe('');
  });
});
