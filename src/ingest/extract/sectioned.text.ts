import type { PageSpan } from './pdf.extractor.js';

/** One numbered part of a document: a slide, a sheet's row group, a chapter, a mail in an mbox. */
export interface NumberedSection {
  /** 1-based slide / sheet / chapter / message number; becomes the chunk's `page`. */
  number?: number;
  /** Written as a `#` line so the chunker starts a section there (omit when `body` has its own headings). */
  heading?: string;
  body: string;
}

export interface SectionedText {
  text: string;
  pages: PageSpan[];
}

/**
 * Joins sections into markdown: each becomes `# heading\n\nbody`, and the chunker (which splits at
 * headings) never lets a chunk straddle two slides, two row groups or two chapters. Each numbered
 * section's character span is returned like a PDF page's, so its chunks carry the number.
 */
export function joinSections(sections: readonly NumberedSection[]): SectionedText {
  let text = '';
  const pages: PageSpan[] = [];
  for (const section of sections) {
    const body = section.body.trim();
    if (!body) continue;
    if (text) text += '\n\n';
    const start = text.length;
    if (section.heading) text += `# ${oneLine(section.heading)}\n\n`;
    text += body;
    if (section.number !== undefined) pages.push({ page: section.number, startOffset: start, endOffset: text.length });
  }
  return { text, pages };
}

export function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}
