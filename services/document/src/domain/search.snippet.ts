/** A highlighted range: `start` inclusive, `end` exclusive, in code points of `text`. */
export interface Highlight {
  start: number;
  end: number;
}

/** Where a hit is: a piece of text, its page (null for the title) and the matched ranges. */
export interface Snippet {
  text: string;
  page: number | null;
  highlights: Highlight[];
}

/** Markers `ts_headline` puts around matches and between fragments (private-use characters). */
export const MARK_START = '\uE000';
/** End of a match. */
export const MARK_END = '\uE001';

/**
 * Turns one marked fragment into text and highlight offsets. Offsets count code points, so a
 * character outside the BMP (an emoji, a rare CJK ideograph) counts as one. Runs of
 * whitespace collapse to one space, so line breaks of OCR text do not reach the snippet.
 */
export function fromMarked(marked: string, page: number | null): Snippet | undefined {
  const highlights: Highlight[] = [];
  const parts: string[] = [];
  let length = 0;
  let spaced = false;
  let start: number | undefined;

  // one pass over code points: a whole page of ts_headline output comes through here
  for (const character of unescaped(marked.trim())) {
    if (character === MARK_START) {
      start = length;
    } else if (character === MARK_END) {
      if (start !== undefined && length > start) highlights.push({ start, end: length });
      start = undefined;
    } else if (isSpace(character)) {
      if (!spaced) {
        parts.push(' ');
        length += 1;
        spaced = true;
      }
    } else {
      parts.push(character);
      length += 1;
      spaced = false;
    }
  }

  const text = parts.join('');
  if (!text) return undefined;
  return { text, page, highlights: mergeAdjacent(highlights) };
}

/** `/\s/u` without running a regular expression on every ASCII character. */
function isSpace(character: string): boolean {
  if (character === ' ' || (character >= '\t' && character <= '\r')) return true;
  return character > '\u007f' && /\s/u.test(character);
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** `ts_headline` output with the three escapes of its input undone. */
function unescaped(marked: string): string {
  return marked.includes('&')
    ? marked.replace(/&(?:amp|lt|gt);/gu, (entity) => ENTITIES[entity] ?? entity)
    : marked;
}

/** `ts_headline` marks each word of a phrase apart; a phrase reads better as one range. */
function mergeAdjacent(highlights: Highlight[]): Highlight[] {
  const merged: Highlight[] = [];
  for (const highlight of highlights) {
    const last = merged.at(-1);
    if (last && highlight.start - last.end <= 1) last.end = highlight.end;
    else merged.push({ ...highlight });
  }
  return merged;
}

/** Characters of context kept before the first and after the last highlight of a window. */
const CONTEXT_BEFORE = 60;
const CONTEXT_AFTER = 100;
/** Windows per page. */
const WINDOWS_PER_PAGE = 2;

/** Moves `index` outwards to the nearest space, so a window never cuts a word in half. */
function snap(characters: string[], index: number, direction: -1 | 1): number {
  let position = index;
  const limit = direction < 0 ? 0 : characters.length;
  for (let steps = 0; position !== limit && steps < 20; steps += 1) {
    if (characters[direction < 0 ? position - 1 : position] === ' ') return position;
    position += direction;
  }
  return position;
}

/** Cuts a fully highlighted page into windows of context around its highlights. */
export function windowsOf(whole: Snippet, perPage = WINDOWS_PER_PAGE): Snippet[] {
  const characters = Array.from(whole.text);
  const windows: { from: number; to: number; highlights: Highlight[] }[] = [];
  for (const highlight of whole.highlights) {
    const last = windows.at(-1);
    if (last && highlight.start - last.to < CONTEXT_BEFORE) {
      last.to = Math.min(characters.length, highlight.end + CONTEXT_AFTER);
      last.highlights.push(highlight);
      continue;
    }
    if (windows.length === perPage) break;
    windows.push({
      from: Math.max(0, highlight.start - CONTEXT_BEFORE),
      to: Math.min(characters.length, highlight.end + CONTEXT_AFTER),
      highlights: [highlight],
    });
  }

  return windows.map((window) => {
    const from = snap(characters, window.from, -1);
    const to = snap(characters, window.to, 1);
    const slice = characters.slice(from, to);
    const lead = slice.length - Array.from(slice.join('').trimStart()).length;
    return {
      text: slice.join('').trim(),
      page: whole.page,
      highlights: window.highlights.map(({ start, end }) => ({
        start: start - from - lead,
        end: end - from - lead,
      })),
    };
  });
}

/** Snippets of one page from `ts_headline` output with every match marked. */
export function fromHeadline(headline: string, page: number | null): Snippet[] {
  const whole = fromMarked(headline, page);
  return whole && whole.highlights.length > 0 ? windowsOf(whole) : [];
}

/** A window of `text` around each occurrence of the substrings (the CJK fallback). */
export function aroundSubstrings(text: string, needles: string[], page: number | null): Snippet[] {
  const characters = Array.from(text.replace(/\s+/gu, ' ').trim());
  const joined = characters.join('');
  const positions: Highlight[] = [];
  for (const needle of needles) {
    const index = joined.indexOf(needle);
    if (index < 0) continue;
    const start = Array.from(joined.slice(0, index)).length;
    positions.push({ start, end: start + Array.from(needle).length });
  }
  if (positions.length === 0) return [];

  positions.sort((a, b) => a.start - b.start);
  const from = Math.max(0, (positions[0]?.start ?? 0) - 40);
  const to = Math.min(characters.length, (positions.at(-1)?.end ?? 0) + 40);
  return [
    {
      text: characters.slice(from, to).join(''),
      page,
      highlights: positions.map((entry) => ({ start: entry.start - from, end: entry.end - from })),
    },
  ];
}

/** The old single `snippet`: HTML-escaped text with `<mark>` around each highlight. */
export function toMarkedHtml(snippet: Snippet | undefined): string {
  if (!snippet) return '';
  const characters = Array.from(snippet.text);
  const escape = (value: string) =>
    value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  let html = '';
  let position = 0;
  for (const { start, end } of snippet.highlights) {
    html += escape(characters.slice(position, start).join(''));
    html += `<mark>${escape(characters.slice(start, end).join(''))}</mark>`;
    position = end;
  }
  return html + escape(characters.slice(position).join(''));
}
