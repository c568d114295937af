import type { Element, Node as XmlNode } from '@xmldom/xmldom';
import type { FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { firstMarkdownHeading } from '../html.extractor.js';
import { attributeByLocalName, firstByLocalName, openZip, readXml, textByLocalName } from './zipped-xml.js';

const FORMAT = 'ODT';

/** OpenDocument text: headings (`text:h`, with their outline level) become `#` lines, paragraphs and list items lines. */
export async function extractOdt(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const zip = await openZip(bytes, FORMAT, filePath);
  const content = await readXml(zip, 'content.xml', FORMAT, filePath);
  const body = content ? firstByLocalName(content, 'text') : undefined;
  if (!content || !body) throw new ExtractionError('corrupt', 'corrupt ODT: content.xml or its office:text body missing', filePath);
  const blocks: string[] = [];
  collectBlocks(body, blocks);
  const text = blocks.join('\n\n');
  const meta = await readXml(zip, 'meta.xml', FORMAT, filePath).catch(() => undefined);
  const metadata: Record<string, string> = {};
  const author = meta ? (textByLocalName(meta, 'initial-creator') ?? textByLocalName(meta, 'creator')) : undefined;
  const created = meta ? textByLocalName(meta, 'creation-date') : undefined;
  const modified = meta ? textByLocalName(meta, 'date') : undefined;
  if (author) metadata['author'] = author;
  if (created) metadata['created'] = created;
  if (modified) metadata['modified'] = modified;
  const title = (meta ? textByLocalName(meta, 'title') : undefined) ?? firstMarkdownHeading(text);
  return { text, format: 'markdown', ...(title ? { title } : {}), metadata };
}

function collectBlocks(node: XmlNode, blocks: string[]): void {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== 1) continue;
    const element = child as Element;
    if (element.localName === 'h') {
      const level = Math.min(Math.max(Number(attributeByLocalName(element, 'outline-level') ?? 1) || 1, 1), 6);
      const heading = inlineText(element).replace(/\s+/g, ' ').trim();
      if (heading) blocks.push(`${'#'.repeat(level)} ${heading}`);
    } else if (element.localName === 'p') {
      const line = inlineText(element).trim();
      if (line) blocks.push(line);
    } else {
      collectBlocks(element, blocks); // lists, sections, tables: their paragraphs
    }
  }
}

/** Paragraph text with ODF's whitespace elements (`text:s`, `text:tab`, `text:line-break`) restored. */
function inlineText(node: XmlNode): string {
  let out = '';
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 3 || child.nodeType === 4) out += child.nodeValue ?? '';
    else if (child.nodeType === 1) {
      const name = (child as Element).localName;
      if (name === 's') out += ' '.repeat(Math.min(Number(attributeByLocalName(child as Element, 'c') ?? 1) || 1, 100));
      else if (name === 'tab') out += '\t';
      else if (name === 'line-break') out += '\n';
      else if (name !== 'note' && name !== 'annotation') out += inlineText(child);
    }
  }
  return out;
}
