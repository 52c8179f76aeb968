import path from 'node:path';

import { describeCause, ExtractionError } from './extraction.errors';

import type * as PdfjsModule from 'pdfjs-dist/legacy/build/pdf.mjs' with {
  'resolution-mode': 'import',
};

type Pdfjs = typeof PdfjsModule;
export type PdfDocument = PdfjsModule.PDFDocumentProxy;

let pdfjsModule: Promise<Pdfjs> | undefined;

/** pdfjs-dist is ESM only; Node16 module resolution keeps this a real `import()` in CJS. */
function loadPdfjs(): Promise<Pdfjs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsModule;
}

// pdfjs reads fonts, CMaps, ICC profiles and WASM decoders from its own package folders,
// so nothing is fetched over the network. It wants folder paths with a trailing separator.
function assetFolder(name: string): string {
  const root = path.dirname(require.resolve('pdfjs-dist/package.json'));
  return path.join(root, name) + path.sep;
}

/**
 * Scanners and mail gateways sometimes prepend bytes to a PDF. Readers tolerate that, so we
 * look for the header within the first kilobyte, as Acrobat does.
 */
function stripLeadingJunk(bytes: Buffer): Uint8Array {
  const header = bytes.subarray(0, 1024).indexOf('%PDF-');
  const start = header > 0 ? header : 0;
  // pdfjs takes ownership of (and may detach) the buffer it is given, so it gets a copy.
  return new Uint8Array(bytes.subarray(start));
}

// Checked by name: pdfjs errors come from another module realm under jest's VM modules.
const isPasswordError = (error: unknown): boolean =>
  (error as { name?: unknown } | undefined)?.name === 'PasswordException';

function toExtractionError(error: unknown): ExtractionError {
  if (error instanceof ExtractionError) return error;

  const message = describeCause(error);
  if (isPasswordError(error)) {
    return new ExtractionError('encrypted', 'PDF is password protected', { cause: error });
  }
  return new ExtractionError('corrupt', `PDF cannot be read: ${message}`, { cause: error });
}

/**
 * Opens a PDF. A PDF that only restricts permissions (an owner password, no user password)
 * opens as it is; one that needs a user password is tried with each of `passwords` in turn
 * (`OCR_PDF_PASSWORDS`). One cut off after its objects is opened with a trailer added. It
 * fails as 'encrypted' when no password fits, as 'corrupt' when unreadable.
 */
export async function openPdf(
  bytes: Buffer,
  passwords: readonly string[] = [],
  maxImagePixels = -1,
): Promise<PdfDocument> {
  try {
    return await openWithPasswords(bytes, passwords, maxImagePixels);
  } catch (error) {
    const repaired = isCorrupt(error) ? withTrailer(bytes) : undefined;
    if (!repaired) throw error;

    return openWithPasswords(repaired, passwords, maxImagePixels).catch(() => {
      throw error;
    });
  }
}

const isCorrupt = (error: unknown): boolean =>
  error instanceof ExtractionError && error.reason === 'corrupt';

/** How far before `/Catalog` the catalog's `N G obj` may start. */
const CATALOG_LOOKBEHIND = 4_096;

/**
 * A PDF whose writer died before its cross-reference table and trailer (or whose tail was cut
 * off) still holds every object, but nothing names its catalog, so pdf.js refuses it. With a
 * trailer pointing at the last catalog appended, pdf.js rebuilds the table by scanning the
 * objects, as qpdf and mupdf do. `undefined` when the PDF has a trailer (or an xref stream,
 * which names the catalog itself) or no catalog to point at.
 */
function withTrailer(bytes: Buffer): Buffer | undefined {
  if (bytes.includes('trailer') || bytes.includes('/XRef')) return undefined;
  const catalog = bytes.lastIndexOf('/Catalog');
  if (catalog < 0) return undefined;

  const before = bytes.subarray(Math.max(0, catalog - CATALOG_LOOKBEHIND), catalog);
  const headers = [...before.toString('latin1').matchAll(/(\d+)\s+(\d+)\s+obj\b/gu)];
  const header = headers.at(-1);
  if (!header) return undefined;

  const trailer = `\ntrailer\n<< /Root ${header[1]} ${header[2]} R >>\n%%EOF\n`;
  return Buffer.concat([bytes, Buffer.from(trailer, 'latin1')]);
}

async function openWithPasswords(
  bytes: Buffer,
  passwords: readonly string[],
  maxImagePixels: number,
): Promise<PdfDocument> {
  for (const password of [undefined, ...passwords]) {
    try {
      return await openWith(bytes, password, maxImagePixels);
    } catch (error) {
      if (!isPasswordError(error)) throw toExtractionError(error);
    }
  }

  const tried = passwords.length;
  throw new ExtractionError(
    'encrypted',
    tried > 0
      ? `PDF is password protected and none of the ${tried} configured passwords opens it`
      : 'PDF is password protected and no password is configured',
  );
}

async function openWith(
  bytes: Buffer,
  password: string | undefined,
  maxImagePixels: number,
): Promise<PdfDocument> {
  const pdfjs = await loadPdfjs();

  const task = pdfjs.getDocument({
    data: stripLeadingJunk(bytes),
    ...(password === undefined ? {} : { password }),
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
    // A last guard: an image too large to decode is dropped instead of exhausting memory.
    maxImageSize: maxImagePixels,
    standardFontDataUrl: assetFolder('standard_fonts'),
    cMapUrl: assetFolder('cmaps'),
    cMapPacked: true,
    iccUrl: assetFolder('iccs'),
    wasmUrl: assetFolder('wasm'),
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });

  try {
    return await task.promise;
  } catch (error) {
    await task.destroy();
    throw error;
  }
}

/**
 * Runs a pdfjs call on an opened PDF; a broken page fails as 'corrupt', a call that has not
 * settled within `timeoutMs` as 'timeout'. pdf.js runs on the main thread in Node, so this
 * stops waiting on a stalled call but cannot interrupt one that never yields.
 */
export async function readPdf<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ExtractionError('timeout', `PDF page took over ${timeoutMs} ms`)),
      timeoutMs,
    );
  });

  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    throw toExtractionError(error);
  } finally {
    clearTimeout(timer);
  }
}
