import type { AppConfig } from '../config/config.js';
import { OcrEngine } from '../ingest/index.js';

/**
 * The OCR engine of one index / append / reindex job, or undefined when SEMANTIK_OCR=off. Creating
 * it costs nothing: the Tesseract worker starts on the first page that needs OCR, and the job
 * terminates it when it ends (a leaked worker thread would keep the process alive).
 */
export function jobOcrEngine(config: Pick<AppConfig, 'ocr'>): OcrEngine | undefined {
  return config.ocr.enabled ? new OcrEngine(config.ocr) : undefined;
}
