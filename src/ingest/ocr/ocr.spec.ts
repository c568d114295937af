import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScannedPdf, renderTextPng } from '../../../test/fixtures/scanned-files.js';
import { extractText } from '../extract/document.extractor.js';
import { ExtractionError } from '../extract/extraction.error.js';
import { OcrEngine } from './ocr.engine.js';
import type { OcrSettings } from './ocr.settings.js';

/**
 * OCR at the extraction level: budgets, the off switch, a corrupt image, and the event loop staying
 * free while Tesseract reads. Few, small pages (CI has 2 cores; one page is ~1 s).
 */
let dir: string;
const file = (name: string) => path.join(dir, name);
const settings: OcrSettings = { enabled: true, languages: ['eng'], maxPagesPerDocument: 1, maxSecondsPerDocument: 300 };
let engine: OcrEngine;

beforeAll(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-ocr-')));
  const first = await renderTextPng(['Marmalade sandwiches for the expedition.']);
  const second = await renderTextPng(['This second page is over the budget.']);
  fs.writeFileSync(file('two-scans.pdf'), await buildScannedPdf([first, second]));
  fs.writeFileSync(file('photo.png'), first);
  fs.writeFileSync(file('blank-first.pdf'), await buildScannedPdf([await renderTextPng([]), first]));
  fs.writeFileSync(file('broken.png'), Buffer.from('not a png at all, only words'));
  fs.writeFileSync(file('broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]));
  engine = new OcrEngine(settings);
});

afterAll(async () => {
  await engine?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const extract = (name: string, ocr: OcrEngine | undefined) =>
  extractText(file(name), { maxBytes: 10 * 1024 * 1024, documentRoots: [dir], ...(ocr ? { ocr } : {}) });

describe('OCR', () => {
  it('stops at the page budget and records which pages were OCR\'d, their confidence and what was left out; the event loop keeps turning', async () => {
    // Ticks of a 20 ms timer while a page is recognised: tesseract.js works in its own worker
    // thread, so the main thread must keep serving (a blocking recognise would give ~0 ticks in ~1 s).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const result = await extract('two-scans.pdf', engine).finally(() => clearInterval(timer));
    expect(result.text).toMatch(/Marmalade sandwiches/);
    expect(result.text).not.toMatch(/budget/);
    expect(result.metadata).toMatchObject({ page_count: 2, ocr_pages: [1], ocr_pages_skipped: 1 });
    expect(result.metadata!['ocr_confidence']).toBeGreaterThan(60);
    expect(result.pages).toEqual([{ page: 1, startOffset: 0, endOffset: result.text.length }]);
    expect(ticks).toBeGreaterThan(5);
  });

  it('SEMANTIK_OCR=off: an image has no text and the reason says how to turn OCR on', async () => {
    const err = await extract('photo.png', undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractionError);
    expect(err).toMatchObject({ reason: 'no_text', message: expect.stringContaining('SEMANTIK_OCR=on') });
  });

  it('a corrupt image fails alone with reason corrupt; the engine keeps working for the next file', async () => {
    for (const name of ['broken.png', 'broken.jpg']) {
      const err = await extract(name, engine).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ExtractionError);
      expect((err as ExtractionError).reason, (err as Error).message).toBe('corrupt');
    }
    const photo = await extract('photo.png', engine);
    expect(photo.text).toMatch(/Marmalade/);
    expect(photo.metadata).toMatchObject({ ocr_pages: [1] });
  });

  it('a blank scanned page is not sent to Tesseract and does not use up the page budget', async () => {
    const result = await extract('blank-first.pdf', engine);
    expect(result.metadata).toMatchObject({ page_count: 2, ocr_pages: [2] });
    expect(result.metadata).not.toHaveProperty('ocr_pages_skipped');
    expect(result.pages).toEqual([{ page: 2, startOffset: 0, endOffset: result.text.length }]);
    // Every document above went through one Tesseract worker: start-up (1–3 s) is paid once per job.
    expect(engine.totals).toMatchObject({ pages: 3, workersStarted: 1 });
  });

  it('the time budget is a limit: a page still running when it runs out is stopped and the rest are left out', async () => {
    const hurried = new OcrEngine({ ...settings, maxPagesPerDocument: 50, maxSecondsPerDocument: 0.001 });
    try {
      const err = await extract('two-scans.pdf', hurried).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExtractionError);
      expect(err).toMatchObject({ reason: 'no_text', message: expect.stringContaining('OCR budget spent before any text was found: 2 page(s) left out') });
    } finally {
      await hurried.close();
    }
  });
});
