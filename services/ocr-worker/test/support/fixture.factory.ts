import { deflateSync } from 'node:zlib';

import sharp from 'sharp';

function escapeXml(text: string): string {
  return text.replace(/[<>&]/gu, (char) => `&#${char.charCodeAt(0)};`);
}

/** A white PNG with black text lines, as a 300-dpi scan of 12-point type would look. */
export function textPng(lines: string[], fontSize = 48): Promise<Buffer> {
  const lineHeight = Math.round(fontSize * 1.6);
  const width = 1600;
  const height = lineHeight * (lines.length + 1);
  const texts = lines.map(
    (line, index) =>
      `<text x="60" y="${lineHeight * (index + 1)}" font-family="sans-serif" ` +
      `font-size="${fontSize}">${escapeXml(line)}</text>`,
  );
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>${texts.join('')}</svg>`;

  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A page laid out as brochures and letters are: two heading lines in large type above body
 * text in two columns. Read as one block, the second heading line was lost and the columns
 * were read across.
 */
export function twoColumnPng(headings: string[], left: string[], right: string[]): Promise<Buffer> {
  const width = 2000;
  const headingSize = 72;
  const bodySize = 40;
  const bodyTop = headingSize * 1.4 * headings.length + 160;
  const text = (x: number, y: number, size: number, line: string) =>
    `<text x="${x}" y="${y}" font-family="serif" font-size="${size}">${escapeXml(line)}</text>`;
  const texts = [
    ...headings.map((line, row) => text(300, 120 + row * headingSize * 1.4, headingSize, line)),
    ...left.map((line, row) => text(60, bodyTop + row * bodySize * 1.6, bodySize, line)),
    ...right.map((line, row) => text(1060, bodyTop + row * bodySize * 1.6, bodySize, line)),
  ];
  const height = Math.ceil(bodyTop + Math.max(left.length, right.length) * bodySize * 1.6 + 100);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>${texts.join('')}</svg>`;

  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A white page with nothing on it. */
export function blankPng(width = 1240, height = 1754): Promise<Buffer> {
  const white = { r: 255, g: 255, b: 255 };
  return sharp({ create: { width, height, channels: 3, background: white } })
    .png()
    .toBuffer();
}

/** A JPEG stored turned left, with EXIF orientation 6 saying "turn right to display". */
export function exifRotatedJpeg(upright: Buffer): Promise<Buffer> {
  return sharp(upright).rotate(270).jpeg().withMetadata({ orientation: 6 }).toBuffer();
}

/** One TIFF holding every image as a page. */
export function multiPageTiff(pages: Buffer[]): Promise<Buffer> {
  return sharp(pages, { join: { animated: true } })
    .tiff()
    .toBuffer();
}

/** A 24-bit bottom-up BMP, the format sharp cannot read. */
export async function bmpOf(image: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rowSize = Math.ceil((info.width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + rowSize * info.height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(info.width, 18);
  header.writeInt32LE(info.height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);

  const rows = Array.from({ length: info.height }, (_, index) => {
    const y = info.height - 1 - index;
    const row = Buffer.alloc(rowSize);
    for (let x = 0; x < info.width; x++) {
      const source = (y * info.width + x) * 3;
      row.set([data[source + 2] ?? 0, data[source + 1] ?? 0, data[source] ?? 0], x * 3);
    }
    return row;
  });

  return Buffer.concat([header, ...rows]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A valid 1-bit black PNG of `size` x `size` pixels, written by hand: a few dozen kilobytes
 * that decode to hundreds of megapixels, without spending seconds encoding it.
 */
export function bombPng(size = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([1, 0, 0, 0, 0], 8);
  const rows = Buffer.alloc((1 + Math.ceil(size / 8)) * size);

  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The stored pixels of a JPEG whose EXIF orientation `orientation` (1-8) displays `upright`:
 * each stored form is the inverse of the turn or mirror the tag asks a viewer to apply.
 */
export async function exifOrientedJpeg(upright: Buffer, orientation: number): Promise<Buffer> {
  // [clockwise turn, then mirror left-right]: 5 is a transpose, 7 a transverse.
  const stored: Record<number, [number, boolean]> = {
    1: [0, false],
    2: [0, true],
    3: [180, false],
    4: [180, true],
    5: [90, true],
    6: [270, false],
    7: [270, true],
    8: [90, false],
  };
  const steps = stored[orientation];
  if (!steps) throw new Error(`EXIF orientation ${orientation} does not exist`);

  // Separate passes: within one pipeline sharp mirrors before it turns, whatever the call order.
  const turned = await sharp(upright).rotate(steps[0]).png().toBuffer();
  const mirrored = steps[1] ? await sharp(turned).flop().png().toBuffer() : turned;
  return sharp(mirrored).jpeg({ quality: 92 }).withMetadata({ orientation }).toBuffer();
}

/** An image turned clockwise in its pixels, with no EXIF to say so (a sideways scan). */
export function turnedPng(upright: Buffer, degrees: number): Promise<Buffer> {
  return sharp(upright).rotate(degrees, { background: '#ffffff' }).png().toBuffer();
}

/**
 * A PDF whose one page draws a `size` x `size` 1-bit image: the image stream is deflated
 * zeros, so a file of a few hundred kilobytes declares over a gigapixel.
 */
export async function giantImagePdf(size = 35_000): Promise<Buffer> {
  const { PDFDocument, PDFName, degrees, drawImage } = await import('pdf-lib');
  const pdf = await PDFDocument.create();
  const rows = Buffer.alloc(Math.ceil(size / 8) * size);
  const stream = pdf.context.flateStream(rows, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: size,
    Height: size,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
  });
  const ref = pdf.context.register(stream);
  const page = pdf.addPage([595, 842]);
  page.node.setXObject(PDFName.of('Scan'), ref);
  page.pushOperators(
    ...drawImage('Scan', {
      x: 0,
      y: 0,
      width: 595,
      height: 842,
      rotate: degrees(0),
      xSkew: degrees(0),
      ySkew: degrees(0),
    }),
  );
  return Buffer.from(await pdf.save());
}
