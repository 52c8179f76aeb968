import { lineTurnOf } from '../src/domain/line.direction';
import { ENGINES } from './support/engine.factory';
import { createTestExtractor, loose } from './support/extractor.factory';
import { exifOrientedJpeg, textPng, turnedPng } from './support/fixture.factory';

const LINES = ['Orientation check for invoice 4711', 'The quick brown fox jumps over'];

describe.each(ENGINES)('orientation of scanned pages (%s)', (engine) => {
  const extractor = createTestExtractor({ engine });
  let upright: Buffer;

  beforeAll(async () => {
    upright = await textPng(LINES);
  });

  afterAll(() => extractor.close());

  function extract(bytes: Buffer, mimeType: string) {
    return extractor.extract({ bytes, mimeType, filename: 'scan' });
  }

  test.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'when a JPEG carries EXIF orientation %i, then it is displayed upright before OCR',
    async (orientation) => {
      const jpeg = await exifOrientedJpeg(upright, orientation);

      const result = await extract(jpeg, 'image/jpeg');

      expect(loose(result.text)).toContain('orientation check for invoice 4711');
      expect(result.pages[0]?.rotation).toBe(0);
    },
  );

  test.each([90, 180, 270])(
    'when the pixels are turned %i degrees without EXIF, then the page is read upright',
    async (degrees) => {
      const turned = await turnedPng(upright, degrees);

      const result = await extract(turned, 'image/png');

      expect(loose(result.text)).toContain('orientation check for invoice 4711');
      // Layout analysis reads a page turned by 270 degrees as it is, along lines running up
      // the page; their direction still tells which way is up.
      expect(result.pages[0]?.rotation).toBe((360 - degrees) % 360);
    },
  );

  test('when a page is skewed by three degrees, then it still reads', async () => {
    const skewed = await turnedPng(upright, 3);

    const result = await extract(skewed, 'image/png');

    expect(loose(result.text)).toContain('quick brown fox jumps over');
  });
});

describe('line direction from tesseract TSV', () => {
  /** TSV word rows of one line: block 1, paragraph 1, line `line`, words at the given centres. */
  const words = (line: number, centres: readonly (readonly [number, number])[], text = 'word') =>
    centres.map(
      ([x, y], index) =>
        `5\t1\t1\t1\t${line}\t${index + 1}\t${x - 20}\t${y - 10}\t40\t20\t90\t${text}`,
    );
  const tsv = (...rows: string[][]) =>
    [
      'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
      ...rows.flat(),
    ].join('\n');

  test.each([
    [
      'left to right',
      [
        [100, 50],
        [300, 52],
        [500, 51],
      ],
      0,
    ],
    [
      'top to bottom',
      [
        [50, 100],
        [52, 300],
        [51, 500],
      ],
      270,
    ],
    [
      'bottom to top',
      [
        [50, 500],
        [52, 300],
        [51, 100],
      ],
      90,
    ],
  ] as const)('when the words of the lines run %s, then the turn is %i', (_, centres, turn) => {
    expect(lineTurnOf(tsv(words(1, centres), words(2, centres)))).toBe(turn);
  });

  test('when most characters lie on lines down the page, then those lines decide', () => {
    const across = words(
      1,
      [
        [100, 50],
        [300, 50],
      ],
      'ab',
    );
    const down = words(
      2,
      [
        [50, 100],
        [50, 300],
        [50, 500],
      ],
      'longer',
    );

    expect(lineTurnOf(tsv(across, down))).toBe(270);
  });

  test('when every line holds one word or there is no text, then the page counts as upright', () => {
    expect(lineTurnOf(tsv(words(1, [[50, 100]]), words(2, [[50, 300]])))).toBe(0);
    expect(lineTurnOf('')).toBe(0);
  });
});
