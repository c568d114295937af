import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface OcrSettings {
  /** SEMANTIK_OCR (default on): OCR pages and images that have no text of their own. */
  enabled: boolean;
  /** SEMANTIK_OCR_LANGUAGES (default `eng`): Tesseract codes; each needs `@tesseract.js-data/<code>` installed. */
  languages: string[];
  /** SEMANTIK_OCR_MAX_PAGES (default 50): pages OCR'd per document; the rest are left out and counted. */
  maxPagesPerDocument: number;
  /** SEMANTIK_OCR_MAX_SECONDS (default 300): recognition time per document; the page in flight finishes. */
  maxSecondsPerDocument: number;
}

const require = createRequire(import.meta.url);

/**
 * The folder holding `<code>.traineddata.gz` from the `@tesseract.js-data/<code>` package: the model
 * files install from the registry with npm, so OCR never fetches anything (tesseract.js would
 * otherwise download from a CDN). Undefined when the package is not installed.
 */
export function languageDataFolder(code: string): string | undefined {
  try {
    const data = require(`@tesseract.js-data/${code}`) as { langPath?: string };
    if (data.langPath && fs.existsSync(path.join(data.langPath, `${code}.traineddata.gz`))) return data.langPath;
  } catch {
    // not installed
  }
  return undefined;
}
