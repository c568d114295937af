import { convert, type FormatCallback, type HtmlToTextOptions } from 'html-to-text';

/**
 * HTML → text that keeps headings as markdown `#` lines, so the chunker can split HTML (and DOCX,
 * which goes through mammoth's HTML) by section exactly as it splits markdown.
 */
const markdownHeading: FormatCallback = (elem, walk, builder, formatOptions) => {
  const level = Number((formatOptions as { level?: number }).level ?? 1);
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addInline(`${'#'.repeat(level)} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

const headingSelectors = [1, 2, 3, 4, 5, 6].map((level) => ({
  selector: `h${level}`,
  format: 'markdownHeading',
  options: { level },
}));

const options: HtmlToTextOptions = {
  // Wrapping would put line breaks mid-sentence into stored chunk text.
  wordwrap: false,
  formatters: { markdownHeading },
  selectors: [
    ...headingSelectors,
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    { selector: 'head', format: 'skip' },
  ],
};

export interface HtmlText {
  text: string;
  title?: string;
}

export function htmlToText(html: string): HtmlText {
  const text = convert(html, options).trim();
  return { text, title: htmlTitle(html) ?? firstMarkdownHeading(text) };
}

function htmlTitle(html: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  if (!match?.[1]) return undefined;
  const title = convert(match[1], { wordwrap: false }).replace(/\s+/g, ' ').trim();
  return title || undefined;
}

/** The first `# ` heading (any level) of markdown-like text. */
export function firstMarkdownHeading(text: string): string | undefined {
  const match = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
  return match?.[1]?.trim() || undefined;
}
