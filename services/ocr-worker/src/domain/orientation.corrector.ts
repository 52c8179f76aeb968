import sharp from 'sharp';

import type { OcrOutput, RecognizeOptions, TextRecognizer } from './recognizer.types';

/**
 * Upright pages of real text read at 80-95; a page turned on its side reads as garbage well
 * under 50. Pages at or above this confidence are taken as upright without asking OSD.
 */
const UPRIGHT_CONFIDENCE = 65;
/** OSD confidence under this is a guess (tesseract's own `min_orientation_margin` is 7). */
const MIN_OSD_CONFIDENCE = 2;

/** The text of an image read upright, and the clockwise turn that made it upright. */
export interface UprightOcrOutput extends OcrOutput {
  rotation: 0 | 90 | 180 | 270;
}

/** Turns an image clockwise; `undefined` when sharp cannot decode it (BMP goes to OCR raw). */
async function turn(image: Buffer, degrees: number): Promise<Buffer | undefined> {
  try {
    return await sharp(image)
      .rotate(degrees)
      .withMetadata()
      .png({ compressionLevel: 1 })
      .toBuffer();
  } catch {
    return undefined;
  }
}

/**
 * Reads an image whose pixels may be turned by 90, 180 or 270 degrees (a phone photo without
 * EXIF, a scanner feeding pages sideways). The page is read as it is first; only a doubtful
 * result asks tesseract's OSD which way is up, and the turned page is read again. The better
 * of the two readings wins, so a wrong OSD guess can never make a page worse. tesseract.js's
 * own auto-rotation is not used: it produced garbage on turned pages.
 */
export async function recognizeUpright(
  ocr: TextRecognizer,
  image: Buffer,
  languages?: string,
  options: RecognizeOptions = {},
): Promise<UprightOcrOutput> {
  const asIs = await ocr.recognize(image, languages, options);
  if (asIs.text.trim().length === 0) return { ...asIs, rotation: 0 };
  if (asIs.confidence >= UPRIGHT_CONFIDENCE) {
    // Read well, but maybe along lines running down the page: layout analysis follows a page
    // lying on its side. It is turned upright and read again, so thumbnail and archive agree.
    if (!asIs.lineTurn) return { ...asIs, rotation: 0 };
    return readTurned(ocr, image, asIs, asIs.lineTurn, languages, options);
  }

  const orientation = await ocr.detectOrientation(image);
  if (!orientation || orientation.degrees === 0 || orientation.confidence < MIN_OSD_CONFIDENCE) {
    return { ...asIs, rotation: 0 };
  }

  return readTurned(ocr, image, asIs, orientation.degrees, languages, options);
}

/** Reads the image turned by `degrees`; the better of that and `asIs` wins. */
async function readTurned(
  ocr: TextRecognizer,
  image: Buffer,
  asIs: OcrOutput,
  degrees: 90 | 180 | 270,
  languages: string | undefined,
  options: RecognizeOptions,
): Promise<UprightOcrOutput> {
  const turned = await turn(image, degrees);
  if (!turned) return { ...asIs, rotation: 0 };

  const upright = await ocr.recognize(turned, languages, options);
  return upright.confidence >= asIs.confidence
    ? { ...upright, rotation: degrees }
    : { ...asIs, rotation: 0 };
}
