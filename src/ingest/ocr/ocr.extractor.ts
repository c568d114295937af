import { ExtractionError } from '../extract/extraction.error.js';
import { joinPages } from '../extract/pdf.extractor.js';
import type { OcrBudget } from './ocr.engine.js';
import type { RenderableDocument } from './page.renderer.js';

/**
 * A page whose text layer has fewer letters and digits than this is treated as scanned: scans
 * often carry a stray page number or a scanner's stamp ("12", "Scan 3") and nothing else.
 */
const MIN_TEXT_LAYER_CHARS = 10;

export function hasTextLayer(pageText: string): boolean {
  return (pageText.match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= MIN_TEXT_LAYER_CHARS;
}

/** The PDF's page texts with every page lacking a text layer OCR'd, while the budget lasts. */
export async function ocrPdfPages(bytes: Uint8Array, pageTexts: readonly string[], budget: OcrBudget, filePath?: string): Promise<string[]> {
  const result = [...pageTexts];
  const scanned = result.flatMap((text, i) => (hasTextLayer(text) ? [] : [i + 1]));
  if (scanned.length === 0) return result;
  const document = await openForRendering(budget, bytes, 'application/pdf', 'PDF', filePath);
  try {
    for (const page of scanned) {
      const text = await budget.recognizePage(page, () => renderOrFail(document, page, 'PDF', filePath));
      if (text !== undefined && text.trim().length > result[page - 1]!.trim().length) result[page - 1] = text;
    }
  } finally {
    await document.close();
  }
  return result;
}

const IMAGE_MAGIC: Record<string, (b: Uint8Array) => boolean> = {
  'image/png': (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/webp': (b) => String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
  'image/tiff': (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a),
};

/** An image file's text: one page, or one per frame of a multi-page TIFF (rendered by mupdf). */
export async function ocrImage(bytes: Uint8Array, mimeType: string, budget: OcrBudget, filePath?: string): Promise<{ text: string; pages: ReturnType<typeof joinPages>['pages'] }> {
  const label = mimeType.replace('image/', '').toUpperCase();
  if (!IMAGE_MAGIC[mimeType]?.(bytes)) throw new ExtractionError('corrupt', `corrupt ${label}: not a ${label} image (wrong signature)`, filePath);
  const pageTexts: string[] = [];
  try {
    if (mimeType === 'image/tiff') {
      const document = await openForRendering(budget, bytes, mimeType, label, filePath);
      try {
        for (let page = 1; page <= document.pageCount; page++) {
          pageTexts.push((await budget.recognizePage(page, () => renderOrFail(document, page, label, filePath))) ?? '');
        }
      } finally {
        await document.close();
      }
    } else {
      pageTexts.push((await budget.recognizePage(1, async () => bytes)) ?? '');
    }
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError('corrupt', `corrupt ${label}: OCR could not read the image (${errorText(err)})`, filePath, { cause: err });
  }
  return joinPages(pageTexts);
}

async function openForRendering(budget: OcrBudget, bytes: Uint8Array, magic: string, label: string, filePath?: string): Promise<RenderableDocument> {
  try {
    return await budget.engine.renderer.open(bytes, magic);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${label}: cannot be rendered for OCR (${errorText(err)})`, filePath, { cause: err });
  }
}

async function renderOrFail(document: RenderableDocument, page: number, label: string, filePath?: string): Promise<Uint8Array | undefined> {
  try {
    return await document.renderPage(page);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${label}: page ${page} cannot be rendered for OCR (${errorText(err)})`, filePath, { cause: err });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
