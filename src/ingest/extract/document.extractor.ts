import mammoth from 'mammoth';
import path from 'node:path';
import {
  DocumentFileRefusedError,
  openDocumentFile,
  readOpenedFile,
  type DocumentFileRefusal,
  type OpenedDocumentFile,
} from '../../document-roots/document-roots.js';
import type { OcrEngine } from '../ocr/ocr.engine.js';
import { hasTextLayer, ocrImage, ocrPdfPages } from '../ocr/ocr.extractor.js';
import type { ExtractedText, FormatText } from './extracted-text.js';
import { ExtractionError, type ExtractionFailureReason } from './extraction.error.js';
import { codeLanguageFor, extractorKindFor, mimeTypeFor, UNKNOWN_MIME_TYPE } from './file-type.registry.js';
import { extractEpub } from './formats/epub.extractor.js';
import { extractEml, extractMbox } from './formats/mail.extractor.js';
import { extractOdt } from './formats/odt.extractor.js';
import { extractPptx } from './formats/pptx.extractor.js';
import { extractRtf } from './formats/rtf.extractor.js';
import { extractCsv, extractOds, extractXlsx } from './formats/spreadsheet.extractor.js';
import { firstMarkdownHeading, htmlToText } from './html.extractor.js';
import { extractPdfPages, joinPages, type PageSpan } from './pdf.extractor.js';
import { decodeText } from './text.decoder.js';

export type { PageSpan, ExtractedText };

export interface ExtractTextOptions {
  /** Files larger than this are refused before being read; from SEMANTIK_MAX_FILE_SIZE_MB. */
  maxBytes: number;
  /** The file must be inside these (SEMANTIK_DOCUMENT_ROOTS, or the caller's narrower list). */
  documentRoots: readonly string[];
  /** SEMANTIK_ALLOW_DOT_PATHS; default false. */
  allowDotPaths?: boolean;
  /** The job's OCR engine (SEMANTIK_OCR); without it scanned pages and images have no text. */
  ocr?: OcrEngine;
}

/**
 * Reads one file and returns its text. Every failure a folder of real-world files can produce
 * (empty, too large, unreadable, binary, corrupt, encrypted, no text) is an ExtractionError with a
 * `reason`; nothing else is thrown for a bad file.
 */
export async function extractText(filePath: string, options: ExtractTextOptions): Promise<ExtractedText> {
  const bytes = await readBounded(filePath, options);
  const mimeType = mimeTypeFor(filePath);
  const result = { ...(await extractFromBytes(filePath, bytes, mimeType, options.ocr)), mimeType: resolvedMimeType(mimeType) };
  if (result.text.trim() === '') {
    throw new ExtractionError('no_text', `no extractable text${noTextHint(mimeType, result, options.ocr)}`, filePath);
  }
  return result;
}

function resolvedMimeType(mimeType: string): string {
  return mimeType === UNKNOWN_MIME_TYPE ? 'text/plain' : mimeType;
}

function noTextHint(mimeType: string, result: FormatText, ocr: OcrEngine | undefined): string {
  if (mimeType !== 'application/pdf' && !mimeType.startsWith('image/')) return '';
  if (!ocr) return ' (a scan or an image? OCR is off: set SEMANTIK_OCR=on)';
  const skipped = result.metadata?.['ocr_pages_skipped'];
  if (skipped) return ` (OCR budget spent before any text was found: ${skipped} page(s) left out, see SEMANTIK_OCR_MAX_PAGES / SEMANTIK_OCR_MAX_SECONDS)`;
  return ' (OCR found no text)';
}

async function extractFromBytes(filePath: string, bytes: Buffer, mimeType: string, ocr: OcrEngine | undefined): Promise<FormatText> {
  switch (extractorKindFor(filePath)) {
    case 'pdf':
      return extractPdf(bytes, filePath, ocr);
    case 'image': {
      if (!ocr) return { text: '', format: 'plain' };
      const budget = ocr.budget();
      const { text, pages } = await ocrImage(bytes, mimeType, budget, filePath);
      return { text, format: 'plain', pages, metadata: budget.metadata() };
    }
    case 'docx': {
      let html: string;
      try {
        html = (await mammoth.convertToHtml({ buffer: bytes })).value;
      } catch (err) {
        throw new ExtractionError('corrupt', `corrupt DOCX: ${(err as Error).message}`, filePath, { cause: err });
      }
      const { text, title } = htmlToText(html);
      return { text, format: 'markdown', title };
    }
    case 'pptx':
      return extractPptx(bytes, filePath);
    case 'xlsx':
      return extractXlsx(bytes, filePath);
    case 'ods':
      return extractOds(bytes, filePath);
    case 'csv':
      return extractCsv(bytes, filePath, path.extname(filePath).toLowerCase() === '.tsv' ? '\t' : ',');
    case 'odt':
      return extractOdt(bytes, filePath);
    case 'rtf':
      return extractRtf(bytes, filePath);
    case 'epub':
      return extractEpub(bytes, filePath);
    case 'eml':
      return extractEml(bytes, filePath);
    case 'mbox':
      return extractMbox(bytes, filePath);
    case 'html': {
      const { text, title } = htmlToText(decodeText(bytes, filePath));
      return { text, format: 'markdown', title };
    }
    case 'markdown': {
      const text = decodeText(bytes, filePath);
      return { text, format: 'markdown', title: firstMarkdownHeading(text) };
    }
    case 'text': {
      const text = decodeText(bytes, filePath);
      const language = codeLanguageFor(filePath);
      return { text, format: 'plain', ...(language ? { metadata: { language } } : {}) };
    }
  }
}

/** The text layer first; pages without one are OCR'd (SEMANTIK_OCR) within the document's budget. */
async function extractPdf(bytes: Buffer, filePath: string, ocr: OcrEngine | undefined): Promise<FormatText> {
  const { pageTexts, title } = await extractPdfPages(bytes, filePath);
  const metadata: Record<string, number | number[]> = { page_count: pageTexts.length };
  let texts = pageTexts;
  if (ocr && pageTexts.some((text) => !hasTextLayer(text))) {
    const budget = ocr.budget();
    texts = await ocrPdfPages(bytes, pageTexts, budget, filePath);
    Object.assign(metadata, budget.metadata());
  }
  return { ...joinPages(texts), format: 'plain', ...(title ? { title } : {}), metadata };
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
