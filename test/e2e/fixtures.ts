import sharp from 'sharp';

/** Renders lines of text onto a white page as a PNG: a "scan" the OCR must read. */
export async function textImage(
  lines: string[],
  options: { width?: number; fontSize?: number } = {},
): Promise<Buffer> {
  const width = options.width ?? 1600;
  const fontSize = options.fontSize ?? 48;
  const lineHeight = Math.round(fontSize * 1.5);
  const height = lineHeight * (lines.length + 2);
  const escape = (text: string) =>
    text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const text = lines
    .map(
      (line, i) =>
        `<text x="${fontSize}" y="${lineHeight * (i + 1.5)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${escape(line)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A dense page of prose: enough text that OCR takes a few seconds. */
export function denseLines(count: number, marker: string): string[] {
  const words = 'the quick brown fox jumps over a lazy dog while invoices wait for payment';
  return Array.from({ length: count }, (_, i) => (i === 0 ? marker : `${i} ${words}`));
}
