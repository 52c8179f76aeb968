import sharp from 'sharp';

import { heicToPng, isHevc } from './heic.decoder';
import type { PdfDocument } from './pdf.loader';
import { renderPageWidth } from './pdf.renderer';

/** Thumbnails are this many pixels wide, whatever the page's shape. */
export const THUMBNAIL_WIDTH = 400;

type Rotation = 0 | 90 | 180 | 270;

/** Turns by the rotation OCR found, then scales to the thumbnail width; WebP. */
function encodeThumbnail(image: sharp.Sharp, rotation: Rotation): Promise<Buffer> {
  return image
    .rotate(rotation)
    .resize({ width: THUMBNAIL_WIDTH })
    .flatten({ background: '#ffffff' })
    .webp({ quality: 80 })
    .toBuffer();
}

/**
 * The first page of an image, upright: EXIF orientation applied, then turned by `rotation`
 * (the turn OCR needed to read the page's pixels upright).
 */
export async function imageThumbnail(
  bytes: Buffer,
  maxImagePixels: number,
  rotation: Rotation = 0,
): Promise<Buffer> {
  const metadata = await sharp(bytes, { limitInputPixels: maxImagePixels }).metadata();
  const source = isHevc(metadata) ? await heicToPng(bytes, maxImagePixels) : bytes;
  const upright = await sharp(source, { page: 0, limitInputPixels: maxImagePixels })
    .autoOrient()
    .toBuffer();
  return encodeThumbnail(sharp(upright), rotation);
}

/** The first page of a PDF (its /Rotate applied), turned by `rotation`. */
export async function pdfThumbnail(document: PdfDocument, rotation: Rotation = 0): Promise<Buffer> {
  const page = await document.getPage(1);
  try {
    const rendered = await renderPageWidth(document, page, THUMBNAIL_WIDTH, (image) =>
      image.png().toBuffer(),
    );
    return await encodeThumbnail(sharp(rendered), rotation);
  } finally {
    page.cleanup();
  }
}
