import { DOMParser, type Document as XmlDocument, type Element, type Node as XmlNode } from '@xmldom/xmldom';
import JSZip from 'jszip';
import { ExtractionError } from '../extraction.error.js';

/**
 * pptx, xlsx, odt, ods and epub are zip archives of XML. A member larger than this is refused: a
 * 3 MB pptx can hold a 2 GB "zip bomb" member, and the file-size limit only bounds the archive.
 */
const MAX_MEMBER_BYTES = 64 * 1024 * 1024;

export async function openZip(bytes: Uint8Array, format: string, filePath?: string): Promise<JSZip> {
  try {
    return await JSZip.loadAsync(bytes);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${format}: not a zip archive (${(err as Error).message})`, filePath, { cause: err });
  }
}

/** A member parsed as XML; undefined when absent. Malformed XML is a corrupt file. */
export async function readXml(zip: JSZip, name: string, format: string, filePath?: string): Promise<XmlDocument | undefined> {
  const text = await readMember(zip, name, format, filePath);
  return text === undefined ? undefined : parseXml(text, `${format} member ${name}`, filePath);
}

export async function readMember(zip: JSZip, name: string, format: string, filePath?: string): Promise<string | undefined> {
  const entry = zip.file(name);
  if (!entry) return undefined;
  const declared = (entry as unknown as { _data?: { uncompressedSize?: number } })._data?.uncompressedSize;
  if (declared !== undefined && declared > MAX_MEMBER_BYTES) {
    throw new ExtractionError('corrupt', `corrupt ${format}: member ${name} unpacks to ${declared} bytes (limit ${MAX_MEMBER_BYTES})`, filePath);
  }
  try {
    return await entry.async('string');
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${format}: member ${name} cannot be unpacked (${(err as Error).message})`, filePath, { cause: err });
  }
}

export function parseXml(text: string, what: string, filePath?: string, mimeType: 'text/xml' | 'text/html' = 'text/xml'): XmlDocument {
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level === 'fatalError') throw new Error(message);
      },
    }).parseFromString(text, mimeType);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${what}: ${(err as Error).message.split('\n')[0]}`, filePath, { cause: err });
  }
}

/** Elements below `node` whose local name is `localName`, in document order, whatever the prefix. */
export function elementsByLocalName(node: XmlNode, localName: string): Element[] {
  const found: Element[] = [];
  const walk = (n: XmlNode) => {
    for (let child = n.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 1) {
        if ((child as Element).localName === localName) found.push(child as Element);
        walk(child);
      }
    }
  };
  walk(node);
  return found;
}

export function firstByLocalName(node: XmlNode, localName: string): Element | undefined {
  return elementsByLocalName(node, localName)[0];
}

/** Trimmed text content of the first element with this local name, if any. */
export function textByLocalName(node: XmlNode, localName: string): string | undefined {
  const value = firstByLocalName(node, localName)?.textContent?.trim();
  return value || undefined;
}

/** Attribute by local name (`r:id`, `table:name`), whatever the prefix. */
export function attributeByLocalName(element: Element, localName: string): string | undefined {
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i)!;
    if (attribute.localName === localName) return attribute.value;
  }
  return undefined;
}

/** Title, author and dates from an OOXML `docProps/core.xml` (pptx, xlsx). */
export async function ooxmlCoreMetadata(zip: JSZip, format: string, filePath?: string): Promise<{ title?: string; metadata: Record<string, string> }> {
  const core = await readXml(zip, 'docProps/core.xml', format, filePath).catch(() => undefined);
  if (!core) return { metadata: {} };
  const metadata: Record<string, string> = {};
  const author = textByLocalName(core, 'creator');
  const created = textByLocalName(core, 'created');
  const modified = textByLocalName(core, 'modified');
  if (author) metadata['author'] = author;
  if (created) metadata['created'] = created;
  if (modified) metadata['modified'] = modified;
  const title = textByLocalName(core, 'title');
  return { ...(title ? { title } : {}), metadata };
}
