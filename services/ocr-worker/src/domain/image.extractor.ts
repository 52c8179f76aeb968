import sharp from 'sharp';

import { describeCause, ExtractionError } from './extraction.errors';
import type { ExtractedPage } from './extraction.types';
import { mapPages, ocrPage, type PageContext } from './page.pipeline';

const SHARP_MIME_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/tiff',
  'image/webp',
  'image/gif',
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
async function countPages(bytes: Buffer, maxImagePixels: number): Promise<number> {
  const metadata = await sharp(bytes).metadata();
  checkPixels(metadata.width, metadata.pageHeight ?? metadata.height, maxImagePixels);

  return metadata.format === 'tiff' ? (metadata.pages ?? 1) : 1;
}

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
  const sideways = (metadata.orientation ?? 1) >= 5;
  const uprightWidth = sideways ? (metadata.pageHeight ?? metadata.height) : metadata.width;

  return image
    .autoOrient()
    .flatten({ background: '#ffffff' })
    .grayscale()
    .toColourspace('b-w')
    .withMetadata({ density: effectiveDpi(metadata.density, uprightWidth) })
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

  const count = await countPages(bytes, context.maxImagePixels).catch((error: unknown) => {
    throw toExtractionError(error);
  });

  return mapPages(count, context, async (page) => {
    const image = await prepareImage(bytes, page, context.maxImagePixels).catch(
      (error: unknown) => {
        throw toExtractionError(error);
      },
    );
    return ocrPage(context, page, image);
  });
}
