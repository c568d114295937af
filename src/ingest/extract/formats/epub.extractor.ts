import path from 'node:path';
import type { FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { htmlToText } from '../html.extractor.js';
import { joinSections, type NumberedSection } from '../sectioned.text.js';
import { elementsByLocalName, firstByLocalName, openZip, readMember, readXml, textByLocalName } from './zipped-xml.js';

const FORMAT = 'EPUB';

/**
 * Chapters in spine (reading) order, each one section numbered from 1 (unit `chapter`); the
 * chapter's own headings stay headings. Title, author, language and date from the OPF metadata.
 */
export async function extractEpub(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const zip = await openZip(bytes, FORMAT, filePath);
  const container = await readXml(zip, 'META-INF/container.xml', FORMAT, filePath);
  const opfPath = container ? firstByLocalName(container, 'rootfile')?.getAttribute('full-path') : undefined;
  const opf = opfPath ? await readXml(zip, opfPath, FORMAT, filePath) : undefined;
  if (!opfPath || !opf) throw new ExtractionError('corrupt', 'corrupt EPUB: META-INF/container.xml or its package document missing', filePath);

  const manifest = new Map<string, string>();
  for (const item of elementsByLocalName(opf, 'item')) {
    const id = item.getAttribute('id');
    const href = item.getAttribute('href');
    if (id && href) manifest.set(id, path.posix.join(path.posix.dirname(opfPath), decodeURIComponent(href)));
  }
  const spine = elementsByLocalName(opf, 'itemref')
    .map((ref) => manifest.get(ref.getAttribute('idref') ?? ''))
    .filter((href): href is string => href !== undefined);
  if (spine.length === 0) throw new ExtractionError('corrupt', 'corrupt EPUB: empty spine (no chapters)', filePath);

  const sections: NumberedSection[] = [];
  for (const href of spine) {
    const html = await readMember(zip, href, FORMAT, filePath);
    if (html === undefined) continue;
    const chapter = htmlToText(html);
    if (!chapter.text.trim()) continue; // cover images, empty title pages: no number used up
    const number = sections.length + 1;
    const hasHeading = /^\s*#{1,6} /.test(chapter.text);
    sections.push({ number, ...(hasHeading ? {} : { heading: chapter.title ?? `Chapter ${number}` }), body: chapter.text });
  }
  const { text, pages } = joinSections(sections);
  const metadata: Record<string, string | number> = { chapter_count: sections.length };
  for (const [key, local] of [['author', 'creator'], ['language', 'language'], ['date', 'date'], ['publisher', 'publisher']] as const) {
    const value = textByLocalName(opf, local);
    if (value) metadata[key] = value;
  }
  const title = textByLocalName(opf, 'title');
  return { text, format: 'markdown', pages, pageUnit: 'chapter', ...(title ? { title } : {}), metadata };
}
