/**
 * Cleans text before it is stored: NUL breaks Postgres text columns and search indexing, and
 * NFC makes `é` typed by a user match `é` produced by OCR or a PDF's decomposed glyphs.
 */
export function normaliseText(text: string): string {
  return text.replaceAll('\u0000', '').normalize('NFC');
}

/** True when a page's text holds nothing but whitespace, form feeds or NULs. */
export function isBlank(text: string): boolean {
  return /^[\s\u0000]*$/u.test(text);
}

/** Counts whitespace-separated tokens holding at least one letter or digit. */
export function countWords(text: string): number {
  return text.split(/\s+/u).filter((token) => /[\p{L}\p{N}]/u.test(token)).length;
}
