import decodeHeic from 'heic-decode';
import sharp from 'sharp';

import { ExtractionError } from './extraction.errors';

/**
 * sharp's prebuilt libvips reads HEIF containers but carries no HEVC decoder (patents), so
 * iPhone photos (HEIC) are decoded by libheif compiled to WebAssembly (`heic-decode`) and
 * handed on as PNG. The primary image's size is checked before a pixel is decoded.
 */
export async function heicToPng(bytes: Buffer, maxImagePixels: number): Promise<Buffer> {
  const images = await decodeHeic.all({ buffer: bytes });
  try {
    const primary = images[0];
    if (!primary) throw new ExtractionError('corrupt', 'HEIC file holds no image');
    if (primary.width * primary.height > maxImagePixels) {
      throw new ExtractionError(
        'too_large',
        `Image is ${primary.width}x${primary.height} pixels, over the limit of ${maxImagePixels}`,
      );
    }

    const { width, height, data } = await primary.decode();
    const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return await sharp(pixels, { raw: { width, height, channels: 4 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
  } finally {
    images.dispose();
  }
}

/** True for a HEIF container whose images are HEVC-coded (HEIC), as sharp reports it. */
export function isHevc(metadata: sharp.Metadata): boolean {
  return metadata.format === 'heif' && metadata.compression === 'hevc';
}
