import path from 'node:path';

const MAX_NAME_LENGTH = 200;
const FALLBACK_NAME = 'document';

/**
 * The name as uploaded, made presentable: NFC, without any client path (`C:\fakepath\`)
 * and without control characters. Any language survives.
 */
export function originalFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean.slice(0, MAX_NAME_LENGTH) || FALLBACK_NAME;
}

/**
 * The stored name: ASCII letters, digits, `.`, `-` and `_` only, so it is safe as a storage
 * key segment, on any file system and as the plain `filename` of a download. Accents are
 * dropped (`café` → `cafe`); a name with no ASCII left (`收据.png`) becomes `document.png`.
 * The extension is kept.
 */
export function safeFilename(original: string): string {
  const extension = path.extname(original);
  const stem = asciiPart(extension ? original.slice(0, -extension.length) : original);
  const suffix = asciiPart(extension.slice(1));
  const name = suffix ? `${stem || FALLBACK_NAME}.${suffix}` : stem || FALLBACK_NAME;
  return name.slice(-MAX_NAME_LENGTH);
}

function asciiPart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._]+|[._]+$/g, '');
}

/** The default title: the original name without its extension. */
export function defaultTitle(original: string): string {
  const extension = path.extname(original);
  const title = extension ? original.slice(0, -extension.length) : original;
  return title.trim() || original;
}
