import sharp from 'sharp';

import type { PdfDocument } from './pdf.loader';

type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;

// Tesseract is trained on ~300 dpi scans; PDF user space is 72 units per inch.
const OCR_DPI = 300;
const PDF_UNITS_PER_INCH = 72;

/** The part of pdfjs's Node canvas factory (backed by @napi-rs/canvas) that we use. */
interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(canvasAndContext: CanvasAndContext): void;
}

interface CanvasAndContext {
  canvas: unknown;
  context: {
    getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
  };
}

/** The largest scale up to 300 dpi that keeps the rendered page under `maxPixels`. */
export function renderScale(page: PdfPage, maxPixels: number): number {
  const { width, height } = page.getViewport({ scale: 1 });
  const wanted = OCR_DPI / PDF_UNITS_PER_INCH;
  const allowed = Math.sqrt(maxPixels / (width * height));

  return Math.min(wanted, allowed);
}

/**
 * Renders a page to a grayscale PNG for OCR. The viewport applies the page's /Rotate, so the
 * text comes out upright. pdfjs's own canvas factory is used because its Path2D and
 * DOMMatrix polyfills come from the same @napi-rs/canvas build as the canvas.
 */
export async function renderPage(
  document: PdfDocument,
  page: PdfPage,
  maxPixels: number,
): Promise<Buffer> {
  const scale = renderScale(page, maxPixels);
  return renderAt(document, page, scale, (image) =>
    image
      .grayscale()
      // Tells tesseract the true resolution instead of letting it guess 70 dpi.
      .withMetadata({ density: scale * PDF_UNITS_PER_INCH })
      .png({ compressionLevel: 1 })
      .toBuffer(),
  );
}

/** Renders a page `width` pixels wide (upright, /Rotate applied) and hands it to `encode`. */
export async function renderPageWidth(
  document: PdfDocument,
  page: PdfPage,
  width: number,
  encode: (image: sharp.Sharp) => Promise<Buffer>,
): Promise<Buffer> {
  const natural = page.getViewport({ scale: 1 }).width;
  return renderAt(document, page, width / Math.max(natural, 1), encode);
}

async function renderAt(
  document: PdfDocument,
  page: PdfPage,
  scale: number,
  encode: (image: sharp.Sharp) => Promise<Buffer>,
): Promise<Buffer> {
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.floor(viewport.width));
  const height = Math.max(1, Math.floor(viewport.height));

  const factory = document.canvasFactory as CanvasFactory;
  const target = factory.create(width, height);
  try {
    await page.render({ canvas: null, canvasContext: target.context, viewport }).promise;
    const { data } = target.context.getImageData(0, 0, width, height);
    // A view, not a copy; a Buffer of our own realm also passes sharp's input check under jest.
    const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);

    return await encode(
      sharp(pixels, { raw: { width, height, channels: 4 } }).flatten({ background: '#ffffff' }),
    );
  } finally {
    factory.destroy(target);
  }
}
