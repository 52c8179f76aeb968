import { ExtractionError } from './extraction.errors';

const IMAGE_NAME = Buffer.from('/Image');
/** Bytes before `/Image` searched for `/Subtype` and the dictionary's start. */
const LOOK_BEHIND = 1024;
/** Bytes after `/Image` searched for `/Width`, `/Height` and the dictionary's end. */
const LOOK_AHEAD = 1024;
/** Characters that may continue a PDF name: `/ImageB` or `/ImageMask` is not `/Image`. */
const NAME_CHAR = /[A-Za-z0-9#_.-]/u;

/** The pixel size an image XObject declares. */
export interface DeclaredImage {
  width: number;
  height: number;
}

function dictionaryAround(bytes: Buffer, at: number): string | undefined {
  const before = bytes.toString('latin1', Math.max(0, at - LOOK_BEHIND), at);
  const after = bytes.toString('latin1', at + IMAGE_NAME.length, at + LOOK_AHEAD);
  if (NAME_CHAR.test(after.charAt(0)) || !/\/Subtype\s*$/u.test(before)) return undefined;

  const start = Math.max(before.lastIndexOf(' obj'), before.lastIndexOf('\nobj'), 0);
  const end = after.search(/\bstream\b|\bendobj\b/u);
  return before.slice(start) + after.slice(0, end < 0 ? after.length : end);
}

const numberAfter = (dictionary: string, key: string): number | undefined => {
  const match = new RegExp(`/${key}\\s+(\\d+)(?!\\s+\\d+\\s+R)`, 'u').exec(dictionary);
  return match ? Number(match[1]) : undefined;
};

/**
 * The sizes of every image XObject, read from the raw bytes without parsing the PDF. Image
 * streams cannot live inside object streams and their dictionaries are never encrypted, so
 * this sees every image of any PDF, password-protected ones included, in milliseconds and
 * without decoding a pixel. Sizes given by indirect reference are not seen (pdf.js's
 * `maxImageSize` still refuses to decode those).
 */
export function declaredImages(bytes: Buffer): DeclaredImage[] {
  const images: DeclaredImage[] = [];
  for (let at = bytes.indexOf(IMAGE_NAME); at >= 0; at = bytes.indexOf(IMAGE_NAME, at + 1)) {
    const dictionary = dictionaryAround(bytes, at);
    if (dictionary === undefined) continue;

    const width = numberAfter(dictionary, 'Width');
    const height = numberAfter(dictionary, 'Height');
    if (width !== undefined && height !== undefined) images.push({ width, height });
  }
  return images;
}

/**
 * Refuses a PDF holding an image over `maxPixels` before pdf.js would decode it: a
 * 35000x35000 scan inside a PDF must fail as 'too_large' at once, not after gigabytes.
 */
export function assertImagesWithin(bytes: Buffer, maxPixels: number): void {
  const giant = declaredImages(bytes).find((image) => image.width * image.height > maxPixels);
  if (!giant) return;

  throw new ExtractionError(
    'too_large',
    `PDF holds a ${giant.width}x${giant.height} image, over the limit of ${maxPixels} pixels`,
  );
}
