import mammoth from 'mammoth';
import {
  DocumentFileRefusedError,
  openDocumentFile,
  readOpenedFile,
  type DocumentFileRefusal,
  type OpenedDocumentFile,
} from '../../document-roots/document-roots.js';
import { ExtractionError, type ExtractionFailureReason } from './extraction.error.js';
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
  /** The file must be inside these (SEMANTIK_DOCUMENT_ROOTS, or the caller's narrower list). */
  documentRoots: readonly string[];
  /** SEMANTIK_ALLOW_DOT_PATHS; default false. */
  allowDotPaths?: boolean;
}

/**
 * Reads one file and returns its text. Every failure a folder of real-world files can produce
 * (empty, too large, unreadable, binary, corrupt, encrypted, no text) is an ExtractionError with a
 * `reason`; nothing else is thrown for a bad file.
 */
export async function extractText(filePath: string, options: ExtractTextOptions): Promise<ExtractedText> {
  const bytes = await readBounded(filePath, options);
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

/**
 * One open through document-roots (O_NOFOLLOW|O_NONBLOCK, fstat, containment of the opened file)
 * and the bytes read from that descriptor: a file swapped for a FIFO or a symlink to /etc between
 * the scan and this read is refused, never followed (test/reliability/source-read-errors.spec.ts).
 * Size is checked on the descriptor before reading, so a 4 GB file never reaches memory.
 */
async function readBounded(filePath: string, options: ExtractTextOptions): Promise<Buffer> {
  let opened: OpenedDocumentFile | undefined;
  try {
    opened = await openDocumentFile(filePath, options.documentRoots, { maxBytes: options.maxBytes, allowDotPaths: options.allowDotPaths ?? false });
    if (opened.stat.size === 0) throw new ExtractionError('empty', 'empty file', filePath);
    return await readOpenedFile(opened);
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    if (err instanceof DocumentFileRefusedError) throw new ExtractionError(EXTRACTION_REASON[err.reason], err.message, filePath, { cause: err });
    const { code, message } = err as NodeJS.ErrnoException;
    throw new ExtractionError('unreadable', `cannot read file: ${code ?? 'error'} (${message})`, filePath, { cause: err });
  } finally {
    await opened?.handle.close();
  }
}

const EXTRACTION_REASON: Record<DocumentFileRefusal, ExtractionFailureReason> = {
  missing: 'unreadable',
  unreadable: 'unreadable',
  directory: 'unreadable',
  not_regular_file: 'unreadable',
  changed: 'unreadable',
  outside_roots: 'refused',
  dot_path: 'refused',
  too_large: 'too_large',
};
