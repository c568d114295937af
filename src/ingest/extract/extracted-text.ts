import type { PageSpan } from './pdf.extractor.js';

/** What a document's numbered parts are; a chunk's `page` counts in this unit. */
export type PageUnit = 'page' | 'slide' | 'sheet' | 'chapter' | 'message';

/** Document metadata values: stored as jsonb on the document, filterable with `metadata_filter`. */
export type DocumentMetadataValue = string | number | boolean | string[] | number[];

export interface ExtractedText {
  text: string;
  mimeType: string;
  /** How the chunker should read `text`: 'markdown' when headings are `#` lines (md, html, docx, sectioned formats). */
  format: 'markdown' | 'plain';
  /** The character span of each page / slide / sheet / chapter / message in `text` (see `pageUnit`). */
  pages?: PageSpan[];
  /** What `pages` count; 'page' when absent. */
  pageUnit?: PageUnit;
  title?: string;
  /** Per-format facts (author, dates, mail headers, language, OCR pages and confidence). */
  metadata?: Record<string, DocumentMetadataValue>;
}

/** What a format extractor returns; the dispatcher adds the MIME type. */
export type FormatText = Omit<ExtractedText, 'mimeType'>;
