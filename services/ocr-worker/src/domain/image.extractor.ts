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

/**
 * Turns one page into what tesseract reads best: upright (EXIF orientation applied), alpha
 * flattened on white (transparent text would otherwise turn black on black), grayscale PNG.
 */
export function prepareImage(bytes: Buffer, page: number, maxImagePixels: number): Promise<Buffer> {
  return sharp(bytes, { page: page - 1, limitInputPixels: maxImagePixels, failOn: 'error' })
    .rotate()
    .flatten({ background: '#ffffff' })
    .grayscale()
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
