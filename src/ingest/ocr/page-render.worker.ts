import { parentPort } from 'node:worker_threads';
import * as mupdf from 'mupdf';

/**
 * Worker-thread entry that renders PDF pages (and TIFF frames) to PNG for OCR with mupdf's WASM
 * build, so the ~50 ms render + ~130 ms PNG encoding of an A4 page at 200 dpi (measured here) never
 * blocks the main event loop. Protocol (see `page.renderer.ts`):
 *   parent → worker  { id, op: 'open', docId, bytes, magic } | { id, op: 'render', docId, page } | { id, op: 'close', docId }
 *   worker → parent  { id, ok: true, pageCount? , png?, blank? } | { id, ok: false, message }
 */
export type RenderRequest =
  | { id: number; op: 'open'; docId: number; bytes: Uint8Array; magic: string }
  | { id: number; op: 'render'; docId: number; page: number }
  | { id: number; op: 'close'; docId: number };

export type RenderReply =
  | { id: number; ok: true; pageCount?: number; png?: Uint8Array; blank?: boolean }
  | { id: number; ok: false; message: string };

/** Tesseract reads printed text best at ~300 dpi; 200 dpi loses little on body text and costs half the pixels. */
const RENDER_DPI = 200;

/** A poster-sized page at 200 dpi would be hundreds of megapixels: the long side is capped. */
const MAX_SIDE_PIXELS = 4000;

/**
 * A rendered page with fewer dark pixels than this share is blank (the back of a scanned sheet, a
 * speck of dust) and is not sent to Tesseract: ~750 pixels on a letter page at 200 dpi, less than
 * one short word (~150 dark pixels per 12 pt letter).
 */
const BLANK_DARK_RATIO = 0.0002;

const port = parentPort;
if (!port) throw new Error('page-render.worker must be started as a worker thread');

const documents = new Map<number, mupdf.Document>();

function handle(request: RenderRequest): RenderReply {
  switch (request.op) {
    case 'open': {
      const document = mupdf.Document.openDocument(request.bytes, request.magic);
      documents.set(request.docId, document);
      return { id: request.id, ok: true, pageCount: document.countPages() };
    }
    case 'render': {
      const document = documents.get(request.docId);
      if (!document) throw new Error(`document ${request.docId} is not open`);
      const page = document.loadPage(request.page - 1);
      try {
        const [x0, y0, x1, y1] = page.getBounds();
        const scale = Math.min(RENDER_DPI / 72, MAX_SIDE_PIXELS / Math.max(x1 - x0, y1 - y0, 1));
        const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceGray, false, true);
        try {
          const pixels = pixmap.getPixels();
          let dark = 0;
          for (let i = 0; i < pixels.length; i++) if (pixels[i]! < 128) dark++;
          if (dark < pixels.length * BLANK_DARK_RATIO) return { id: request.id, ok: true, blank: true };
          return { id: request.id, ok: true, png: pixmap.asPNG().slice() };
        } finally {
          pixmap.destroy();
        }
      } finally {
        page.destroy();
      }
    }
    case 'close': {
      documents.get(request.docId)?.destroy();
      documents.delete(request.docId);
      return { id: request.id, ok: true };
    }
  }
}

port.on('message', (request: RenderRequest) => {
  let reply: RenderReply;
  try {
    reply = handle(request);
  } catch (err) {
    reply = { id: request.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, reply.ok && reply.png ? [reply.png.buffer as ArrayBuffer] : []);
});
