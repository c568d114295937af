import type { Element } from '@xmldom/xmldom';
import path from 'node:path';
import type { FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { joinSections, oneLine, type NumberedSection } from '../sectioned.text.js';
import { elementsByLocalName, ooxmlCoreMetadata, openZip, readXml } from './zipped-xml.js';

const FORMAT = 'PPTX';
/** `r:id` on a slide entry (its plain `id` attribute is a number, not the relationship). */
const RELATIONSHIPS_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/**
 * Slides in presentation order (ppt/presentation.xml's slide list through its relationships; file
 * names like slide10.xml do not sort and may be reordered), each slide one section whose number
 * travels with its chunks. Speaker notes are not read.
 */
export async function extractPptx(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const zip = await openZip(bytes, FORMAT, filePath);
  const slidePaths = await slidesInOrder(zip, filePath);
  if (slidePaths.length === 0) throw new ExtractionError('corrupt', 'corrupt PPTX: no slides (ppt/presentation.xml missing or empty)', filePath);
  const sections: NumberedSection[] = [];
  for (const [i, slidePath] of slidePaths.entries()) {
    const slide = await readXml(zip, slidePath, FORMAT, filePath);
    if (!slide) continue;
    const { title, lines } = slideText(slide.documentElement!);
    sections.push({ number: i + 1, heading: title ? `Slide ${i + 1}: ${title}` : `Slide ${i + 1}`, body: lines.join('\n') || title || '' });
  }
  const core = await ooxmlCoreMetadata(zip, FORMAT, filePath);
  const { text, pages } = joinSections(sections);
  return { text, format: 'markdown', pages, pageUnit: 'slide', ...(core.title ? { title: core.title } : {}), metadata: { ...core.metadata, slide_count: slidePaths.length } };
}

async function slidesInOrder(zip: Awaited<ReturnType<typeof openZip>>, filePath?: string): Promise<string[]> {
  const presentation = await readXml(zip, 'ppt/presentation.xml', FORMAT, filePath);
  const rels = await readXml(zip, 'ppt/_rels/presentation.xml.rels', FORMAT, filePath);
  if (!presentation || !rels) return [];
  const targets = new Map<string, string>();
  for (const rel of elementsByLocalName(rels, 'Relationship')) {
    const id = rel.getAttribute('Id');
    const target = rel.getAttribute('Target');
    if (id && target) targets.set(id, path.posix.normalize(path.posix.join('ppt', target.replace(/^\//, '../'))));
  }
  return elementsByLocalName(presentation, 'sldId')
    .map((sld) => targets.get(sld.getAttributeNS(RELATIONSHIPS_NS, 'id') ?? ''))
    .filter((target): target is string => target !== undefined && zip.file(target) !== null);
}

/** Paragraph lines of every shape; the title placeholder's text is returned apart. */
function slideText(root: Element): { title?: string; lines: string[] } {
  let title: string | undefined;
  const lines: string[] = [];
  for (const shape of elementsByLocalName(root, 'sp')) {
    const placeholder = elementsByLocalName(shape, 'ph')[0]?.getAttribute('type');
    const paragraphs = elementsByLocalName(shape, 'p')
      .map((p) => elementsByLocalName(p, 't').map((t) => t.textContent ?? '').join(''))
      .map((line) => line.trim())
      .filter(Boolean);
    if (!title && (placeholder === 'title' || placeholder === 'ctrTitle')) title = oneLine(paragraphs.join(' ')) || undefined;
    else lines.push(...paragraphs);
  }
  // Tables (graphicFrame) hold their text in a:t too, outside any p:sp.
  for (const frame of elementsByLocalName(root, 'graphicFrame')) {
    for (const row of elementsByLocalName(frame, 'tr')) {
      lines.push(elementsByLocalName(row, 'tc').map((cell) => oneLine(elementsByLocalName(cell, 't').map((t) => t.textContent ?? '').join(' '))).join(' | '));
    }
  }
  return { ...(title ? { title } : {}), lines };
}
