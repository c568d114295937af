import { describe, expect, it } from 'vitest';
import { embeddingInputFor } from './chunk.embedding-input.js';
import { chunkText, type Chunk } from './text.chunker.js';

/** Deterministic prose: sentences of 4–14 words, paragraphs of 2–6 sentences. */
function prose(paragraphs: number, seed: number): string {
  const words = ['index', 'search', 'vector', 'database', 'query', 'chunk', 'model', 'server', 'user', 'document', 'ranking', 'pipeline'];
  let x = seed;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences: string[] = [];
    for (let s = 2 + next(5); s > 0; s--) {
      const sentence = Array.from({ length: 4 + next(11) }, () => words[next(words.length)]).join(' ');
      sentences.push(sentence[0]!.toUpperCase() + sentence.slice(1) + '.');
    }
    out.push(sentences.join(' '));
  }
  return out.join('\n\n');
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);

/** Invariants every chunking must keep, whatever the input. */
function expectWellFormed(text: string, chunks: Chunk[], chunkSize: number) {
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(text.slice(chunk.startOffset, chunk.endOffset)).toBe(chunk.text);
    expect(chunk.text).toBe(chunk.text.trim());
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(chunk.text.length).toBeLessThanOrEqual(chunkSize);
    // Never inside a word.
    expect(isWordChar(text[chunk.startOffset - 1]) && isWordChar(text[chunk.startOffset])).toBe(false);
    expect(isWordChar(text[chunk.endOffset - 1]) && isWordChar(text[chunk.endOffset])).toBe(false);
  });
  // Every non-space character of the document is in some chunk.
  const covered = new Uint8Array(text.length);
  for (const c of chunks) covered.fill(1, c.startOffset, c.endOffset);
  for (let i = 0; i < text.length; i++) if (!covered[i] && text[i]!.trim()) throw new Error(`offset ${i} not covered`);
}

describe('chunkText', () => {
  it('keeps offsets exact, sizes bounded, words whole and the text fully covered', () => {
    for (const [size, overlap] of [[200, 40], [500, 100], [1000, 200], [120, 0]] as const) {
      const text = prose(40, size);
      const chunks = chunkText(text, { chunkSize: size, chunkOverlap: overlap, format: 'plain' });
      expect(chunks.length).toBeGreaterThan(text.length / size);
      expectWellFormed(text, chunks, size);
    }
  });

  it('overlaps consecutive chunks by at most chunkOverlap characters', () => {
    const text = prose(30, 7);
    const chunks = chunkText(text, { chunkSize: 400, chunkOverlap: 80, format: 'plain' });
    const overlaps = chunks.slice(1).map((c, i) => chunks[i]!.endOffset - c.startOffset);
    expect(overlaps.every((o) => o <= 80)).toBe(true);
    expect(overlaps.filter((o) => o > 0).length).toBeGreaterThan(overlaps.length / 2);
    const none = chunkText(text, { chunkSize: 400, chunkOverlap: 0, format: 'plain' });
    none.slice(1).forEach((c, i) => expect(c.startOffset).toBeGreaterThanOrEqual(none[i]!.endOffset));
  });

  it('cuts at a paragraph break before a sentence end, and at a sentence end before a word', () => {
    const first = 'Alpha beta gamma. '.repeat(15).trim(); // 269 chars
    const second = 'Delta epsilon zeta. '.repeat(15).trim();
    const text = `${first}\n\n${second}`;
    const chunks = chunkText(text, { chunkSize: 400, chunkOverlap: 0, format: 'plain' });
    expect(chunks[0]!.text).toBe(first);
    const sentences = chunkText(first, { chunkSize: 100, chunkOverlap: 0, format: 'plain' });
    expect(sentences.every((c) => c.text.endsWith('.'))).toBe(true);
  });

  it('cuts a single word longer than the window, since there is no better place', () => {
    const text = 'x'.repeat(250);
    const chunks = chunkText(text, { chunkSize: 100, chunkOverlap: 0, format: 'plain' });
    expect(chunks.map((c) => c.text.length)).toEqual([100, 100, 50]);
  });

  it('splits markdown at headings and records the heading path', () => {
    const text = [
      'Preamble text.',
      '# Guide',
      '## Install',
      'Run the installer.',
      '```sh',
      '# not a heading, a shell comment',
      '```',
      '### Linux',
      'Use the package.',
      '## Configure',
      'Edit the file.',
    ].join('\n');
    const chunks = chunkText(text, { chunkSize: 1000, chunkOverlap: 100, format: 'markdown' });
    expect(chunks.map((c) => [c.headingPath, c.text.split('\n')[0]])).toEqual([
      [[], 'Preamble text.'],
      [['Guide', 'Install'], '# Guide'], // the body-less "# Guide" joins its first subsection
      [['Guide', 'Install', 'Linux'], '### Linux'],
      [['Guide', 'Configure'], '## Configure'],
    ]);
    expect(chunks[1]!.text).toContain('# not a heading');
    expectWellFormed(text, chunks, 1000);
  });

  it('splits long sections by size without overlapping into the next section', () => {
    const text = `# One\n\n${prose(12, 3)}\n\n# Two\n\n${prose(12, 4)}`;
    const chunks = chunkText(text, { chunkSize: 300, chunkOverlap: 60, format: 'markdown' });
    expectWellFormed(text, chunks, 300);
    const firstOfTwo = chunks.findIndex((c) => c.headingPath[0] === 'Two');
    expect(firstOfTwo).toBeGreaterThan(1);
    expect(chunks[firstOfTwo]!.text.startsWith('# Two')).toBe(true);
    expect(chunks[firstOfTwo - 1]!.endOffset).toBeLessThanOrEqual(chunks[firstOfTwo]!.startOffset);
    expect(chunks.slice(0, firstOfTwo).every((c) => c.headingPath.join() === 'One')).toBe(true);
  });

  it('ignores # lines in plain format', () => {
    const chunks = chunkText('# Title\n\nBody.', { chunkSize: 100, chunkOverlap: 0, format: 'plain' });
    expect(chunks).toEqual([{ index: 0, text: '# Title\n\nBody.', startOffset: 0, endOffset: 14, headingPath: [] }]);
  });

  it('gives each chunk the page it starts on', () => {
    const pageOne = prose(4, 1);
    const pageTwo = prose(4, 2);
    const text = `${pageOne}\n\n${pageTwo}`;
    const pages = [
      { page: 1, startOffset: 0, endOffset: pageOne.length },
      { page: 2, startOffset: pageOne.length + 2, endOffset: text.length },
    ];
    const chunks = chunkText(text, { chunkSize: 200, chunkOverlap: 50, format: 'plain', pages });
    for (const c of chunks) expect(c.page).toBe(c.startOffset < pages[1]!.startOffset ? 1 : 2);
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2]));
  });

  it('rejects nonsense sizes', () => {
    expect(() => chunkText('x', { chunkSize: 0, chunkOverlap: 0, format: 'plain' })).toThrow(RangeError);
    expect(() => chunkText('x', { chunkSize: 100, chunkOverlap: 100, format: 'plain' })).toThrow(/chunkOverlap/);
  });

  it('returns nothing for blank text', () => {
    expect(chunkText(' \n\n\t', { chunkSize: 100, chunkOverlap: 10, format: 'markdown' })).toEqual([]);
  });
});

describe('embeddingInputFor', () => {
  it('prefixes title and heading path, saying a title equal to the first heading once', () => {
    const chunk = { text: 'Run the installer.', headingPath: ['Guide', 'Install'] };
    expect(embeddingInputFor(chunk, 'Handbook')).toBe('Handbook > Guide > Install\n\nRun the installer.');
    expect(embeddingInputFor(chunk, 'guide')).toBe('guide > Install\n\nRun the installer.');
    expect(embeddingInputFor({ text: 'Body.', headingPath: [] })).toBe('Body.');
    expect(chunk.text).toBe('Run the installer.');
  });

  it('keeps the prefix short so the chunk text still fits the model window', () => {
    const input = embeddingInputFor({ text: 'Body.', headingPath: ['h'.repeat(500), 'Deep'] }, 't'.repeat(500));
    expect(input.indexOf('\n\n')).toBeLessThanOrEqual(200);
    expect(input.endsWith('> Deep\n\nBody.')).toBe(true);
  });
});
