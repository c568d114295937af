import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { ExtractionError } from './extraction.error.js';

export interface PageSpan {
  /** 1-based page number. */
  page: number;
  startOffset: number;
  endOffset: number;
}

export interface PdfText {
  text: string;
  pages: PageSpan[];
  title?: string;
}

export interface PdfPages {
  /** Raw text layer of every page, blank pages included (index 0 = page 1). */
  pageTexts: string[];
  title?: string;
}

/** Between pages in the joined text: a paragraph break, so the chunker prefers to cut there. */
const PAGE_SEPARATOR = '\n\n';

/** Text per page joined into one string, with the character span of each page. */
export async function extractPdfText(bytes: Uint8Array, filePath?: string): Promise<PdfText> {
  const { pageTexts, title } = await extractPdfPages(bytes, filePath);
  return { ...joinPages(pageTexts), ...(title ? { title } : {}) };
}

/** Pages joined with a paragraph break; a blank page keeps its number but contributes no span. */
export function joinPages(pageTexts: readonly string[]): { text: string; pages: PageSpan[] } {
  const pages: PageSpan[] = [];
  let text = '';
  pageTexts.forEach((raw, i) => {
    const pageText = raw.trim();
    if (!pageText) return;
    if (text) text += PAGE_SEPARATOR;
    pages.push({ page: i + 1, startOffset: text.length, endOffset: text.length + pageText.length });
    text += pageText;
  });
  return { text, pages };
}

/** The text layer of each page, and the title from the PDF Info dictionary. */
export async function extractPdfPages(bytes: Uint8Array, filePath?: string): Promise<PdfPages> {
  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of (and detaches) the buffer it is given: pass a copy.
    // verbosity 0: a corrupt file is reported through ExtractionError, not pdf.js console warnings.
    document = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'PasswordException') {
      throw new ExtractionError('encrypted', 'encrypted PDF: password protected, remove the password to index it', filePath, { cause: err });
    }
    throw new ExtractionError('corrupt', `corrupt PDF: ${(err as Error).message}`, filePath, { cause: err });
  }
  try {
    const { text: pageTexts } = await extractText(document, { mergePages: false });
    let title: string | undefined;
    try {
      const meta = await getMeta(document);
      const raw = (meta.info as { Title?: unknown }).Title;
      title = typeof raw === 'string' && raw.trim() ? raw.trim() : undefined;
    } catch {
      // Broken metadata is no reason to lose the text.
    }
    return { pageTexts, ...(title ? { title } : {}) };
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError('corrupt', `corrupt PDF: ${(err as Error).message}`, filePath, { cause: err });
  } finally {
    await document.destroy().catch(() => undefined);
  }
}
