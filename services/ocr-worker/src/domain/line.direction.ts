/** A clockwise turn that makes a page's lines horizontal. */
export type LineTurn = 0 | 90 | 270;

interface LineSpan {
  first: { x: number; y: number };
  last: { x: number; y: number };
  words: number;
  characters: number;
}

/**
 * Which way the lines of an OCR reading run, from tesseract's TSV output (level-5 rows are
 * words, numbered by block, paragraph and line, with their boxes): from a line's first word to
 * its last, left to right is upright (0); top to bottom means the page lies turned clockwise,
 * so turning it by 270 degrees makes it upright; bottom to top, by 90. Lines of one word say
 * nothing; the others are weighed by their length in characters.
 */
export function lineTurnOf(tsv: string): LineTurn {
  const lines = new Map<string, LineSpan>();
  for (const row of tsv.split('\n')) {
    const cells = row.split('\t');
    const text = (cells[11] ?? '').trim();
    if (cells[0] !== '5' || text === '') continue;

    const [left, top, width, height] = cells.slice(6, 10).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    const centre = { x: left + width / 2, y: top + height / 2 };
    const key = cells.slice(1, 5).join('/');
    const line = lines.get(key);
    if (line) {
      line.last = centre;
      line.words += 1;
      line.characters += text.length;
    } else {
      lines.set(key, { first: centre, last: centre, words: 1, characters: text.length });
    }
  }

  const weight: Record<LineTurn, number> = { 0: 0, 90: 0, 270: 0 };
  for (const { first, last, words, characters } of lines.values()) {
    if (words < 2) continue;
    const dx = last.x - first.x;
    const dy = last.y - first.y;
    const turn = Math.abs(dy) <= Math.abs(dx) ? 0 : dy > 0 ? 270 : 90;
    weight[turn] += characters;
  }
  return ([90, 270] as const).reduce<LineTurn>(
    (best, turn) => (weight[turn] > weight[best] ? turn : best),
    0,
  );
}
