/**
 * PDF pages (and TIFF frames) → PNG for OCR with mupdf's WASM build, loaded on first use (~10 MB,
 * ~150 ms): most jobs never render a page. Rendering runs on the calling thread, one page at a
 * time (~50–150 ms per A4 page at 200 dpi here), with an event-loop turn between pages.
 */

/** Tesseract reads printed text best at ~300 dpi; 200 dpi loses little on body text and costs half the pixels. */
const RENDER_DPI = 200;

/** A poster-sized page at 200 dpi would be hundreds of megapixels: the long side is capped. */
const MAX_SIDE_PIXELS = 4000;

type Mupdf = typeof import('mupdf');
let mupdfModule: Promise<Mupdf> | undefined;

export function loadMupdf(): Promise<Mupdf> {
  mupdfModule ??= import('mupdf');
  return mupdfModule;
}

export interface RenderableDocument {
  pageCount: number;
  renderPage(page: number): Promise<Uint8Array>;
  close(): void;
}

/** Opens a PDF or image (multi-page TIFF) for rendering; `magic` is the MIME type. */
export async function openRenderable(bytes: Uint8Array, magic: string): Promise<RenderableDocument> {
  const mupdf = await loadMupdf();
  const document = mupdf.Document.openDocument(new Uint8Array(bytes), magic);
  return {
    pageCount: document.countPages(),
    async renderPage(page: number): Promise<Uint8Array> {
      await new Promise((resolve) => setImmediate(resolve));
      const loaded = document.loadPage(page - 1);
      try {
        const [x0, y0, x1, y1] = loaded.getBounds();
        const longSide = Math.max(x1 - x0, y1 - y0, 1);
        const scale = Math.min(RENDER_DPI / 72, MAX_SIDE_PIXELS / longSide);
        const pixmap = loaded.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceGray, false, true);
        try {
          return pixmap.asPNG();
        } finally {
          pixmap.destroy();
        }
      } finally {
        loaded.destroy();
      }
    },
    close: () => document.destroy(),
  };
}
