const UTF16LE_BOM = [0xff, 0xfe];
const UTF16BE_BOM = [0xfe, 0xff];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}

function detectEncoding(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (startsWith(bytes, UTF16LE_BOM)) return 'utf-16le';
  if (startsWith(bytes, UTF16BE_BOM)) return 'utf-16be';
  return 'utf-8';
}

/**
 * Decodes a text file. Without a UTF-16 BOM the bytes are read as UTF-8, and bytes that are
 * not valid UTF-8 become U+FFFD rather than failing: guessing a legacy code page would be
 * wrong as often as right, and a visible replacement character is honest about the loss.
 * TextDecoder drops a leading BOM of the chosen encoding itself.
 */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder(detectEncoding(bytes), { fatal: false }).decode(bytes);
}
