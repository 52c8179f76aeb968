import sharp from 'sharp';

import { describeCause, ExtractionError } from './extraction.errors';
import type { ExtractedPage } from './extraction.types';
import { heicToPng, isHevc } from './heic.decoder';
import { mapPages, ocrPage, type PageContext } from './page.pipeline';

const SHARP_MIME_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/tiff',
  'image/webp',
  'image/gif',
  'image/heic',
  'image/heif',
  'image/heic-sequence',
  'image/heif-sequence',
  'image/avif',
]);
const BMP_MIME_TYPES = new Set(['image/bmp', 'image/x-bmp', 'image/x-ms-bmp']);

/** True when the image extractor reads this mime type. */
export function isImageMimeType(mimeType: string): boolean {
  return SHARP_MIME_TYPES.has(mimeType) || BMP_MIME_TYPES.has(mimeType);
}

function toExtractionError(error: unknown): ExtractionError {
  if (error instanceof ExtractionError) return error;

  const message = describeCause(error);
  if (message.includes('pixel limit')) {
    return new ExtractionError('too_large', 'Image has too many pixels', { cause: error });
  }
  return new ExtractionError('corrupt', `Image cannot be decoded: ${message}`, { cause: error });
}

function checkPixels(width: number, height: number, maxImagePixels: number): void {
  if (width * height > maxImagePixels) {
    throw new ExtractionError(
      'too_large',
      `Image is ${width}x${height} pixels, over the limit of ${maxImagePixels}`,
    );
  }
}

/**
 * Counts the pages to OCR. The header check refuses decompression bombs before a single
 * pixel is decoded. Only TIFF pages are separate pages; GIF and WebP frames are animation.
 */
async function openImage(
  bytes: Buffer,
  maxImagePixels: number,
): Promise<{ bytes: Buffer; pages: number }> {
  const metadata = await sharp(bytes).metadata();
  checkPixels(metadata.width, metadata.pageHeight ?? metadata.height, maxImagePixels);

  if (isHevc(metadata)) return { bytes: await heicToPng(bytes, maxImagePixels), pages: 1 };
  return { bytes, pages: metadata.format === 'tiff' ? (metadata.pages ?? 1) : 1 };
}

/**
 * Larger images are scaled down before OCR: an A4 page at 500 dpi is 24 megapixels, more
 * than tesseract needs, and every extra pixel costs time and WebAssembly memory.
 */
export const MAX_OCR_PIXELS = 25_000_000;

// A resolution outside this range is missing or wrong (WebP and phone photos carry none).
const MIN_PLAUSIBLE_DPI = 70;
const MAX_PLAUSIBLE_DPI = 1200;
/** Letter and A4 pages are about 8.3 inches wide; most images are photos of one. */
const PAGE_WIDTH_INCHES = 8.3;

/**
 * The resolution to tell tesseract. Without one it prints "Invalid resolution" warnings onto
 * stdout (into our JSON logs) and assumes 70 dpi; a full-page guess from the width is closer.
 */
export function effectiveDpi(density: number | undefined, uprightWidth: number): number {
  if (density !== undefined && density >= MIN_PLAUSIBLE_DPI && density <= MAX_PLAUSIBLE_DPI) {
    return density;
  }
  const guess = Math.round(uprightWidth / PAGE_WIDTH_INCHES);
  return Math.min(Math.max(guess, MIN_PLAUSIBLE_DPI), 600);
}

/**
 * Turns one page into what tesseract reads best: upright (EXIF orientation 1-8 applied,
 * mirrored ones too), alpha flattened on white (transparent text would otherwise turn black
 * on black), CMYK and 16-bit samples reduced to 8-bit gray, with a plausible resolution.
 */
export async function prepareImage(
  bytes: Buffer,
  page: number,
  maxImagePixels: number,
): Promise<Buffer> {
  const image = sharp(bytes, { page: page - 1, limitInputPixels: maxImagePixels, failOn: 'error' });
  const metadata = await image.metadata();
  const height = metadata.pageHeight ?? metadata.height;
  const uprightWidth = (metadata.orientation ?? 1) >= 5 ? height : metadata.width;
  const shrink = Math.min(1, Math.sqrt(MAX_OCR_PIXELS / (metadata.width * height)));

  const upright = image.autoOrient().flatten({ background: '#ffffff' }).grayscale();
  const sized = shrink < 1 ? upright.resize({ width: Math.floor(uprightWidth * shrink) }) : upright;
  return sized
    .toColourspace('b-w')
    .withMetadata({
      density: Math.max(
        MIN_PLAUSIBLE_DPI,
        Math.round(effectiveDpi(metadata.density, uprightWidth) * shrink),
      ),
    })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/**
 * sharp cannot decode BMP, but tesseract's leptonica can, so BMP bytes go to OCR as they
 * are after the header's size is checked. BMP carries no EXIF orientation to apply.
 */
async function extractBmp(bytes: Buffer, context: PageContext): Promise<ExtractedPage[]> {
  if (bytes.length < 26 || bytes.toString('latin1', 0, 2) !== 'BM') {
    throw new ExtractionError('corrupt', 'BMP header is missing');
  }
  checkPixels(bytes.readInt32LE(18), Math.abs(bytes.readInt32LE(22)), context.maxImagePixels);

  const page = await ocrPage(context, 1, bytes).catch((error: unknown) => {
    throw toExtractionError(error);
  });
  context.onPageDone(1);
  return [page];
}

/** Extracts the text of an image, one page per TIFF page. */
export async function extractImagePages(
  bytes: Buffer,
  mimeType: string,
  context: PageContext,
): Promise<ExtractedPage[]> {
  if (BMP_MIME_TYPES.has(mimeType)) return extractBmp(bytes, context);

  const opened = await openImage(bytes, context.maxImagePixels).catch((error: unknown) => {
    throw toExtractionError(error);
  });

  return mapPages(opened.pages, context, async (page) => {
    const image = await prepareImage(opened.bytes, page, context.maxImagePixels).catch(
      (error: unknown) => {
        throw toExtractionError(error);
      },
    );
    return ocrPage(context, page, image);
  });
}
