/** How many leading bytes the sniffer needs (file-type reads at most this many). */
export const SNIFF_BYTES = 4100;

const PDF_MARKER = Buffer.from('%PDF-');
const PDF_SEARCH_WINDOW = 1024;
const TEXT = 'text/plain';
const BINARY = 'application/octet-stream';

/** `file-type` is ESM-only; under module Node16 this stays a real dynamic import. */
const importFileType = () => import('file-type');
let fileTypeModule: ReturnType<typeof importFileType> | undefined;
const loadFileType = () => (fileTypeModule ??= importFileType());

const hasUnicodeBom = (head: Buffer): boolean =>
  (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) ||
  (head[0] === 0xff && head[1] === 0xfe) ||
  (head[0] === 0xfe && head[1] === 0xff);

/**
 * Plain text: no NUL byte and almost no control characters besides tab, newlines, form feed
 * and escape. Bytes above 0x7f count as printable, so UTF-8 and legacy 8-bit text both pass.
 */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;

  let control = 0;
  for (const byte of head) {
    const allowed =
      byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x1b;
    if ((byte < 0x20 && !allowed) || byte === 0x7f) control += 1;
  }
  return control <= head.length * 0.02;
}

/** Some exporters write a UTF-8 BOM before `%PDF-`; PDF readers open such files. */
const isPdfBehindBom = (head: Buffer): boolean =>
  head[0] === 0xef && head.subarray(3, 3 + PDF_MARKER.length).equals(PDF_MARKER);

/**
 * A TIFF byte-order mark and magic number (classic or BigTIFF). file-type follows the offset to
 * the first image directory to tell TIFF from camera raw formats; writers such as libtiff put
 * that directory after the image data, beyond the bytes sniffed, and file-type then gives up.
 */
const hasTiffHeader = (head: Buffer): boolean =>
  (head[0] === 0x49 &&
    head[1] === 0x49 &&
    (head[2] === 0x2a || head[2] === 0x2b) &&
    head[3] === 0) ||
  (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && (head[3] === 0x2a || head[3] === 0x2b));

/**
 * The MIME type of a file from its first bytes, never from its name or the client's header.
 * Order matters: a PDF behind a UTF-8 BOM, then a Unicode BOM (file-type mistakes UTF-16
 * text for audio), then
 * file-type's signatures, then a PDF header anywhere in the first KiB (readers accept junk
 * before `%PDF`), then a text-versus-binary guess.
 */
export async function sniffMimeType(head: Buffer): Promise<string> {
  if (head.length === 0) return BINARY;
  if (isPdfBehindBom(head)) return 'application/pdf';
  if (hasUnicodeBom(head)) return TEXT;

  const { fileTypeFromBuffer } = await loadFileType();
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;

  if (head.subarray(0, PDF_SEARCH_WINDOW).includes(PDF_MARKER)) return 'application/pdf';
  if (hasTiffHeader(head)) return 'image/tiff';

  return looksLikeText(head) ? TEXT : BINARY;
}
