/** Text shorter than this (without spaces) is too little to judge; it is kept as it is. */
const MIN_JUDGED_CHARACTERS = 20;
/** Private-use, unassigned, control and replacement characters: a font without a Unicode map. */
const UNMAPPED = /[\p{Co}\p{Cn}\p{Cc}\uFFFD]/gu;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/gu;
/** A token that reads like a word: a letter, then lower-case letters, apostrophes or hyphens. */
const WORD_LIKE = /^[("'[]?\p{L}[\p{Ll}\p{M}'’-]*[.,;:!?)"'\]]*$/u;
/** Dot leaders and rules (`.....`, `-----`, `_____`) are layout, not symbol soup. */
const LEADERS = /([.\-_=·…*])\1{2,}/gu;
const NUMBER_LIKE = /^[(\-+]?[\p{N}€$£%.,:/-]+[)]?$/u;

/** How a text layer scored; ratios are 0-1. */
export interface TextQuality {
  characters: number;
  unmappedRatio: number;
  letterRatio: number;
  wordRatio: number;
  poor: boolean;
}

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

/**
 * Judges whether a PDF text layer is real text or the output of a font without a Unicode map
 * (`cmap`-less CID fonts give private-use code points, control characters or symbol soup).
 * Real text in any alphabetic script is mostly letters and digits, forms word-shaped tokens
 * and holds no unmapped code points; text too short to judge is trusted.
 */
export function judgeTextLayer(text: string): TextQuality {
  const spaced = text.replace(LEADERS, ' ');
  const dense = spaced.replace(/\s+/gu, '');
  const characters = [...dense].length;
  const tokens = spaced.split(/\s+/u).filter((token) => token.length > 0);

  const unmappedRatio = characters === 0 ? 0 : count(dense, UNMAPPED) / characters;
  const letterRatio = characters === 0 ? 1 : count(dense, LETTER_OR_DIGIT) / characters;
  const wordish = tokens.filter((token) => WORD_LIKE.test(token) || NUMBER_LIKE.test(token));
  const wordRatio = tokens.length === 0 ? 1 : wordish.length / tokens.length;

  const judged = characters >= MIN_JUDGED_CHARACTERS;
  const poor = judged && (unmappedRatio > 0.05 || letterRatio < 0.5 || wordRatio < 0.4);
  return { characters, unmappedRatio, letterRatio, wordRatio, poor };
}
