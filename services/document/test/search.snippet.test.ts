import { fromHeadline, MARK_END, MARK_START } from '../src/domain/search.snippet';

/** A deterministic generator, so a failing page can be printed and replayed. */
function generator(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const WORDS = ['ledger', 'a', 'of', 'longerwordhere', '𠮷', '😀x', 'é', '收据', '(note', '"q"'];
const GAPS = [' ', '  ', '\n', ' . ', ', ', '\t', ''];
const LONG_WORD = 'x'.repeat(30);

/** `ts_headline`-like output: words, some marked, with the gaps OCR text has. */
function markedPage(random: () => number): string {
  const touching = random() < 0.2;
  const density = touching ? 0.9 : random() * 0.6;
  let page = '';
  for (let index = 0, count = 3 + Math.floor(random() * 300); index < count; index += 1) {
    const word = random() < 0.02 ? LONG_WORD : WORDS[Math.floor(random() * WORDS.length)]!;
    const marked = random() < density ? `${MARK_START}${word}${MARK_END}` : word;
    // some pages are long runs of touching matches (a word marked on every line, a list)
    const gap = touching ? ' ' : GAPS[Math.floor(random() * GAPS.length)]!;
    page += marked + gap;
  }
  return page;
}

/** The page as a reader sees it: code points, whitespace collapsed, marked ranges. */
function reference(page: string) {
  const characters: string[] = [];
  const marks: { start: number; end: number }[] = [];
  let start: number | undefined;
  let spaced = false;
  for (const character of page.trim()) {
    if (character === MARK_START) start = characters.length;
    else if (character === MARK_END) {
      if (start !== undefined && characters.length > start)
        marks.push({ start, end: characters.length });
      start = undefined;
    } else if (/\s/u.test(character)) {
      if (!spaced) characters.push(' ');
      spaced = true;
    } else {
      characters.push(character);
      spaced = false;
    }
  }
  return { characters, marks };
}

function indexOfRun(haystack: string[], needle: string[], from: number): number {
  for (let at = Math.max(0, from); at + needle.length <= haystack.length; at += 1) {
    if (needle.every((character, offset) => haystack[at + offset] === character)) return at;
  }
  return -1;
}

/** Every way a page's snippets can go wrong, as readable strings (empty when none). */
function problems(page: string, phrase: boolean): string[] {
  const { characters, marks } = reference(page);
  const snippets = fromHeadline(page, 1, { phrase });
  const found: string[] = [];
  if (snippets.length > 2) found.push(`${snippets.length} windows`);
  if (marks.length > 0 && snippets.length === 0) found.push('no window for a marked page');

  let previousEnd = 0;
  for (const snippet of snippets) {
    const text = Array.from(snippet.text);
    const at = indexOfRun(characters, text, previousEnd);
    if (at < 0) {
      found.push(`text not found after the previous window: ${snippet.text}`);
      continue;
    }
    previousEnd = at + text.length;
    if (text.length > 400) found.push(`window of ${text.length} characters`);
    for (const mark of marks.filter((m) => m.start >= at && m.end <= at + text.length)) {
      const covered = snippet.highlights.some(
        (h) => h.start <= mark.start - at && mark.end - at <= h.end,
      );
      if (!covered) found.push(`unhighlighted match at ${mark.start} in: ${snippet.text}`);
    }
    for (const highlight of snippet.highlights) {
      if (!marks.some((mark) => mark.start === at + highlight.start))
        found.push(`highlight not at a match: ${JSON.stringify(highlight)}`);
    }
  }
  return found;
}

describe('snippet windows from a fully marked page', () => {
  it('when pages of every density are cut, then windows show their matches highlighted and never overlap', () => {
    const random = generator(42);
    const failures: string[] = [];

    for (let run = 0; run < 3000 && failures.length < 3; run += 1) {
      const page = markedPage(random);
      const phrase = random() < 0.5;
      const found = problems(page, phrase);
      if (found.length > 0) failures.push(`${JSON.stringify({ page, phrase })}: ${found[0]}`);
    }

    expect(failures).toEqual([]);
  });

  it('when every word of a page is a match, then the windows still stop at their span', () => {
    const page = Array.from({ length: 200 }, () => `${MARK_START}Total${MARK_END}`).join('\n');

    const snippets = fromHeadline(page, 1);

    expect(snippets).toHaveLength(2);
    expect(snippets.every((snippet) => Array.from(snippet.text).length <= 240)).toBe(true);
  });

  it('when a word is marked on every line, then the page gives two windows of bounded length', () => {
    const page = Array.from(
      { length: 80 },
      (_, line) => `${MARK_START}ledger${MARK_END} ${line}`,
    ).join('\n');

    const snippets = fromHeadline(page, 3);

    expect(snippets).toHaveLength(2);
    expect(snippets.every((snippet) => Array.from(snippet.text).length < 400)).toBe(true);
    expect(snippets[0]!.text.startsWith('ledger 0 ledger 1')).toBe(true);
    expect(snippets.map((snippet) => snippet.page)).toEqual([3, 3]);
  });

  it('when a phrase follows its words standing alone, then phrase mode starts the window at the phrase', () => {
    const alone = Array.from({ length: 20 }, () => `${MARK_START}harbour${MARK_END} wall`);
    const page = `${alone.join(' and ')} then the ${MARK_START}harbour${MARK_END} ${MARK_START}master${MARK_END} came`;

    const [plain] = fromHeadline(page, 1);
    const [phrase] = fromHeadline(page, 1, { phrase: true });

    const cut = (snippet: typeof phrase) =>
      snippet!.highlights.map((h) => Array.from(snippet!.text).slice(h.start, h.end).join(''));
    expect(cut(plain)).not.toContain('harbour master');
    expect(cut(phrase)).toContain('harbour master');
  });

  it('when lone words stand near a full window, then phrase mode keeps the second window for the next phrase', () => {
    const filler = 'w '.repeat(30);
    const lone = Array.from({ length: 5 }, () => `${MARK_START}harbour${MARK_END} ${filler}`);
    const phrase = `${MARK_START}harbour${MARK_END} ${MARK_START}master${MARK_END}`;
    const page = `${phrase} ${lone.join('')}${'z '.repeat(300)}${phrase} two`;

    const snippets = fromHeadline(page, 1, { phrase: true });

    expect(snippets).toHaveLength(2);
    expect(snippets[1]!.text).toContain('harbour master two');
  });

  it('when no run of different words is marked, then phrase mode falls back to single matches', () => {
    const page = `one ${MARK_START}harbour${MARK_END}. ${MARK_START}master${MARK_END} two`;

    expect(fromHeadline(page, 1, { phrase: true })).toEqual(fromHeadline(page, 1));
    expect(fromHeadline(page, 1, { phrase: true })).toHaveLength(1);
  });
});
