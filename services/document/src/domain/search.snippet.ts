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

/** Marked text read into code points, with its highlights in order (adjacent ones apart). */
interface ReadText {
  characters: string[];
  highlights: Highlight[];
}

/**
 * Reads marked text into code points and highlight offsets, collapsing runs of whitespace to
 * one space so line breaks of OCR text do not reach a snippet. Offsets count code points, so
 * a character outside the BMP (an emoji, a rare CJK ideograph) counts as one. `enough` sees
 * each highlight as it closes; once it answers true the walk over the code points stops (the
 * whole text is still trimmed and unescaped first, in one native pass each).
 */
function readMarked(
  marked: string,
  enough: (highlight: Highlight, characters: string[]) => boolean = () => false,
) {
  const read: ReadText = { characters: [], highlights: [] };
  const { characters, highlights } = read;
  let spaced = false;
  let start: number | undefined;

  // one pass over code points: a whole page of ts_headline output may come through here
  for (const character of unescaped(marked.trim())) {
    if (character === MARK_START) {
      start = characters.length;
    } else if (character === MARK_END) {
      if (start === undefined || characters.length === start) {
        start = undefined;
        continue;
      }
      const highlight = { start, end: characters.length };
      start = undefined;
      highlights.push(highlight);
      if (enough(highlight, characters)) break;
    } else if (isSpace(character)) {
      if (!spaced) characters.push(' ');
      spaced = true;
    } else {
      characters.push(character);
      spaced = false;
    }
  }
  return read;
}

/** Turns one marked fragment (a title, a whole page) into text and highlight offsets. */
export function fromMarked(marked: string, page: number | null): Snippet | undefined {
  const { characters, highlights } = readMarked(marked);
  const text = characters.join('');
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
/**
 * Longest stretch from a window's start to its last highlight's end: a word on every line
 * would otherwise chain its matches into one window the length of the page.
 */
const WINDOW_SPAN = 240;
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

/** A window before snapping: code point offsets into the text it was read from. */
interface Window {
  from: number;
  to: number;
  highlights: Highlight[];
}

/**
 * Groups highlights, as they come in order, into at most `perPage` windows. A highlight joins
 * the last window when it is close to it and the window stays within `WINDOW_SPAN`; `add`
 * answers false for the first one that would need a window too many: no later text changes
 * the windows then (`cutWindows` keeps their edges off any match outside them).
 */
function windowGrouping(perPage: number) {
  const windows: Window[] = [];
  /** Adds `highlight` to the last window if it is close enough; false when it is not. */
  const join = (highlight: Highlight): boolean => {
    const last = windows.at(-1);
    if (!last || highlight.start - last.to >= CONTEXT_BEFORE) return false;
    if (highlight.end - last.from > WINDOW_SPAN) return false;
    last.to = highlight.end + CONTEXT_AFTER;
    last.highlights.push(highlight);
    return true;
  };
  const add = (highlight: Highlight): boolean => {
    if (join(highlight)) return true;
    if (windows.length === perPage) return false;
    windows.push({
      from: Math.max(0, highlight.start - CONTEXT_BEFORE),
      to: highlight.end + CONTEXT_AFTER,
      highlights: [highlight],
    });
    return true;
  };
  return { windows, join, add };
}

/**
 * The windows' text, snapped to spaces, with their (merged) highlights relative to it. A window
 * never shows a match it does not highlight, nor text of the window before it: its edges stop
 * at the nearest match outside it (one left for a later window, passed over, or past the last).
 */
function cutWindows(read: ReadText, windows: Window[], page: number | null): Snippet[] {
  const { characters, highlights } = read;
  let previousTo = 0;
  return windows.map((window) => {
    const inside = new Set(window.highlights);
    const first = window.highlights[0]?.start ?? window.from;
    const last = window.highlights.at(-1)?.end ?? window.to;
    const outside = highlights.filter((highlight) => !inside.has(highlight));
    const lower = Math.max(
      previousTo,
      ...outside.filter((other) => other.end <= first).map((other) => other.end),
    );
    const upper = Math.min(
      characters.length,
      ...outside.filter((other) => other.start >= last).map((other) => other.start),
    );
    const from = Math.max(lower, snap(characters, Math.max(lower, window.from), -1));
    const to = Math.min(upper, snap(characters, Math.min(upper, window.to), 1));
    previousTo = to;

    const slice = characters.slice(from, to);
    const lead = slice.length - Array.from(slice.join('').trimStart()).length;
    return {
      text: slice.join('').trim(),
      page,
      highlights: mergeAdjacent(window.highlights).map(({ start, end }) => ({
        start: start - from - lead,
        end: end - from - lead,
      })),
    };
  });
}

/**
 * Windows seeded by runs of touching highlights of different words (the words of a phrase,
 * which `ts_headline` marks one by one, but also every lone occurrence of them): any other
 * highlight joins a window it is close to, or one that a run opens shortly after it, and is
 * passed over otherwise.
 */
function phraseGrouping(perPage: number) {
  const grouping = windowGrouping(perPage);
  let passed: Highlight[] = [];
  let run: Highlight[] = [];
  let runWords = new Set<string>();

  const flush = (): boolean => {
    const seeds = run;
    const seeded = runWords.size > 1;
    run = [];
    runWords = new Set();
    if (!seeded) {
      passed.push(...seeds.filter((highlight) => !grouping.join(highlight)));
      return true;
    }
    const from = (seeds[0]?.start ?? 0) - CONTEXT_BEFORE;
    const before = passed.filter((highlight) => highlight.start >= from);
    passed = [];
    return [...before, ...seeds].every((highlight) => grouping.add(highlight));
  };

  const add = (highlight: Highlight, word: string): boolean => {
    const previous = run.at(-1);
    const more = previous && highlight.start - previous.end <= 1 ? true : flush();
    run.push(highlight);
    runWords.add(word.toLowerCase());
    return more;
  };
  return { windows: grouping.windows, add, finish: flush };
}

/**
 * Snippets of one page from `ts_headline` output with every match marked: windows of context
 * around the first matches, or with `phrase` (the query holds one) around the first runs of
 * touching matches, falling back to single matches where the page has no run. The page is
 * walked only until a match shows the windows are complete (for a common word, its first few
 * hundred characters); `ts_headline` has marked all of it by then.
 */
export function fromHeadline(
  headline: string,
  page: number | null,
  { phrase = false }: { phrase?: boolean } = {},
): Snippet[] {
  if (!phrase) {
    const grouping = windowGrouping(WINDOWS_PER_PAGE);
    const read = readMarked(headline, (highlight) => !grouping.add(highlight));
    return cutWindows(read, grouping.windows, page);
  }

  const grouping = phraseGrouping(WINDOWS_PER_PAGE);
  const read = readMarked(
    headline,
    (highlight, characters) => !grouping.add(highlight, characters.slice(highlight.start).join('')),
  );
  grouping.finish();
  if (grouping.windows.length > 0) return cutWindows(read, grouping.windows, page);

  const single = windowGrouping(WINDOWS_PER_PAGE);
  for (const highlight of read.highlights) if (!single.add(highlight)) break;
  return cutWindows(read, single.windows, page);
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
