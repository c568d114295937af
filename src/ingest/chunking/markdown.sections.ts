/** A heading-delimited span of the original text: the heading line and everything up to the next heading. */
export interface Section {
  start: number;
  end: number;
  /** Enclosing headings, outermost first; the section's own heading is last. */
  headingPath: string[];
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Splits markdown-like text at ATX headings (`#` … `######`), ignoring `#` lines inside fenced
 * code blocks. A heading directly followed by another heading (no body text) is merged into the
 * next section, so "# Guide\n## Install\ntext" is one section under ["Guide", "Install"], not a
 * chunk holding only "# Guide".
 */
export function splitMarkdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const stack: string[] = [];
  let current: Section = { start: 0, end: text.length, headingPath: [] };
  let fence: string | undefined;
  let lineStart = 0;

  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (!fence) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (!fence) {
      const heading = HEADING.exec(line);
      if (heading) {
        const level = heading[1]!.length;
        const title = (heading[2] ?? '').replace(/[ \t]+#+$/, '').replace(/^#+$/, '').trim();
        current.end = lineStart;
        const bodyIsEmpty = text.slice(current.start, lineStart).split('\n').slice(1).join('\n').trim() === '';
        const startsWithHeading = current.headingPath.length > 0;
        const mergedStart = startsWithHeading && bodyIsEmpty ? current.start : lineStart;
        if (mergedStart === lineStart && text.slice(current.start, current.end).trim() !== '') sections.push(current);
        stack.length = Math.min(stack.length, level - 1);
        while (stack.length < level - 1) stack.push('');
        stack.push(title);
        current = { start: mergedStart, end: text.length, headingPath: stack.filter((h) => h !== '') };
      }
    }
    lineStart = lineEnd + 1;
  }
  current.end = text.length;
  if (text.slice(current.start, current.end).trim() !== '') sections.push(current);
  return sections;
}
