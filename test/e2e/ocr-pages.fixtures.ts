import * as Encrypting from '@cantoo/pdf-lib';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { textImage } from './fixtures';

/** Words OCR reads without doubt, one per page, so a page's text shows where it landed. */
export const PAGE_WORDS = [
  'apple',
  'banana',
  'cherry',
  'dolphin',
  'eagle',
  'falcon',
  'giraffe',
  'harbour',
  'island',
  'jungle',
  'kettle',
  'lemon',
];

/**
 * What one page of a generated PDF holds: a scan of `lines` (1600 pixels wide in 48-pixel type
 * unless `width` and `fontSize` say otherwise), or a born-digital text line.
 */
export type PageSpec = { scan: string[]; width?: number; fontSize?: number } | { text: string };

/**
 * A PDF whose pages are scans (a PNG of text lines drawn at 300 dpi, no text layer) or text
 * pages (a real text layer), in the order given.
 */
export async function mixedPdf(pages: PageSpec[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    if ('text' in spec) {
      const page = pdf.addPage([595, 842]);
      page.drawText(spec.text, { x: 50, y: 760, size: 16, font });
      continue;
    }
    const { width = 1600, fontSize = 48 } = spec;
    const png = await pdf.embedPng(await textImage(spec.scan, { width, fontSize }));
    const scale = 72 / 300;
    const page = pdf.addPage([png.width * scale, png.height * scale]);
    page.drawImage(png, { x: 0, y: 0, width: png.width * scale, height: png.height * scale });
  }
  return Buffer.from(await pdf.save());
}

/** `count` scanned pages, page n reading "Page n <word> ...". */
export function scannedPages(count: number, extraLines = 0): PageSpec[] {
  return Array.from({ length: count }, (_, index) => ({
    scan: [
      `Page ${index + 1} ${PAGE_WORDS[index % PAGE_WORDS.length]} marker`,
      ...Array.from({ length: extraLines }, (_, line) => `${line + 1} the quick brown fox jumps`),
    ],
  }));
}

/**
 * A one-page born-digital PDF that needs `userPassword` to open (RC4/AES by @cantoo/pdf-lib,
 * since pdf-lib cannot encrypt), as banks send statements.
 */
export async function encryptedPdf(text: string, userPassword: string): Promise<Buffer> {
  const pdf = await Encrypting.PDFDocument.create();
  const font = await pdf.embedFont(Encrypting.StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText(text, { x: 72, y: 760, size: 14, font });
  pdf.encrypt({ userPassword, ownerPassword: `${userPassword}-owner` });
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}
