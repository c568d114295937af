import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('OCR configuration', () => {
  it('defaults: on, English, 50 pages and 300 s per document', () => {
    expect(loadConfig({}).ocr).toEqual({ enabled: true, languages: ['eng'], maxPagesPerDocument: 50, maxSecondsPerDocument: 300 });
  });

  it('reads the switch, a language list and the budgets', () => {
    const config = loadConfig({ SEMANTIK_OCR: 'off', SEMANTIK_OCR_LANGUAGES: 'eng+eng', SEMANTIK_OCR_MAX_PAGES: '3', SEMANTIK_OCR_MAX_SECONDS: '2.5' });
    expect(config.ocr).toEqual({ enabled: false, languages: ['eng'], maxPagesPerDocument: 3, maxSecondsPerDocument: 2.5 });
  });

  it('a language without installed data fails start-up with the npm command that fixes it', () => {
    expect(() => loadConfig({ SEMANTIK_OCR_LANGUAGES: 'eng,deu' })).toThrow(ConfigError);
    expect(() => loadConfig({ SEMANTIK_OCR_LANGUAGES: 'eng,deu' })).toThrow(/npm install @tesseract.js-data\/deu/);
    expect(() => loadConfig({ SEMANTIK_OCR_MAX_PAGES: '0' })).toThrow(/SEMANTIK_OCR_MAX_PAGES/);
  });
});
