import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import mammoth from 'mammoth';
import { ExtractionError } from './extraction.error.js';
import { extractorKindFor, mimeTypeFor, UNKNOWN_MIME_TYPE } from './file-type.registry.js';
import { firstMarkdownHeading, htmlToText } from './html.extractor.js';
import { extractPdfText, type PageSpan } from './pdf.extractor.js';
import { decodeText } from './text.decoder.js';

export type { PageSpan };

export interface ExtractedText {
  text: string;
  mimeType: string;
  /** How the chunker should read `text`: 'markdown' when headings are `#` lines (md, html, docx). */
  format: 'markdown' | 'plain';
  /** PDFs only: the character span of each page in `text`. */
  pages?: PageSpan[];
  title?: string;
}

export interface ExtractTextOptions {
  /** Files larger than this are refused before being read; from SEMANTIK_MAX_FILE_SIZE_MB. */
  maxBytes: number;
}

/**
 * Reads one file and returns its text. Every failure a folder of real-world files can produce
 * (empty, too large, unreadable, binary, corrupt, encrypted, no text) is an ExtractionError with a
 * `reason`; nothing else is thrown for a bad file.
 */
export async function extractText(filePath: string, options: ExtractTextOptions): Promise<ExtractedText> {
  const bytes = await readBounded(filePath, options.maxBytes);
  const mimeType = mimeTypeFor(filePath);
  const result = await extractFromBytes(filePath, bytes, mimeType);
  if (result.text.trim() === '') {
    const hint = result.mimeType === 'application/pdf' ? ' (a scanned PDF? OCR is not supported)' : '';
    throw new ExtractionError('no_text', `no extractable text${hint}`, filePath);
  }
  return result;
}

async function extractFromBytes(filePath: string, bytes: Buffer, mimeType: string): Promise<ExtractedText> {
  switch (extractorKindFor(filePath)) {
    case 'pdf': {
      const pdf = await extractPdfText(bytes, filePath);
      return { text: pdf.text, mimeType, format: 'plain', pages: pdf.pages, title: pdf.title };
    }
    case 'docx': {
      let html: string;
      try {
        html = (await mammoth.convertToHtml({ buffer: bytes })).value;
      } catch (err) {
        throw new ExtractionError('corrupt', `corrupt DOCX: ${(err as Error).message}`, filePath, { cause: err });
      }
      const { text, title } = htmlToText(html);
      return { text, mimeType, format: 'markdown', title };
    }
    case 'html': {
      const { text, title } = htmlToText(decodeText(bytes, filePath));
      return { text, mimeType, format: 'markdown', title };
    }
    case 'markdown': {
      const text = decodeText(bytes, filePath);
      return { text, mimeType, format: 'markdown', title: firstMarkdownHeading(text) };
    }
    case 'text': {
      const text = decodeText(bytes, filePath);
      return { text, mimeType: mimeType === UNKNOWN_MIME_TYPE ? 'text/plain' : mimeType, format: 'plain' };
    }
  }
}

/** Checks size before reading, so a 4 GB file never reaches memory. */
async function readBounded(filePath: string, maxBytes: number): Promise<Buffer> {
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: open(2) of a FIFO would otherwise wait for a writer forever (a file swapped for a
    // FIFO between scan and read hung a worker: test/reliability/source-read-errors.spec.ts).
    handle = await fs.open(filePath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new ExtractionError('unreadable', 'cannot read file: EISDIR (it is a directory)', filePath);
    if (!stats.isFile()) throw new ExtractionError('unreadable', 'cannot read file: not a regular file (FIFO, socket or device)', filePath);
    const { size } = stats;
    if (size === 0) throw new ExtractionError('empty', 'empty file', filePath);
    if (size > maxBytes) {
      throw new ExtractionError('too_large', `file too large: ${size} bytes > limit ${maxBytes}, raise SEMANTIK_MAX_FILE_SIZE_MB`, filePath);
    }
    return await handle.readFile();
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    const { code, message } = err as NodeJS.ErrnoException;
    throw new ExtractionError('unreadable', `cannot read file: ${code ?? 'error'} (${message})`, filePath, { cause: err });
  } finally {
    await handle?.close();
  }
}
