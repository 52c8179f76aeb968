import { judgeTextLayer } from '../src/domain/text.quality';

describe('judging a PDF text layer', () => {
  test.each([
    ['an English sentence', 'This is a test document with a few ordinary words in it.'],
    [
      'German with soft hyphens',
      'Mit\u00ADarbei\u00ADterinnen und Mitarbeiter arbeiten in über 100 Ländern engagiert',
    ],
    [
      'an invoice full of numbers',
      'Invoice number: 123456 Federal Tax ID: 77-0493581 Total € 1.234,56 Date 11/14/2022',
    ],
    [
      'a table of amounts',
      'Qty Description Unit Price Amount 2 Widget 3.50 7.00 1 Gadget 12.00 12.00 VAT 20% 3.80',
    ],
    ['ligatures', 'Open Sans is a humanist sans serif typeface. The \uFB01gure shows \uFB01les.'],
    ['Cyrillic', 'Москва — столица России, крупнейший город страны и её центр'],
    ['too little to judge', '#$%&'],
    [
      'an invoice with dot leaders',
      'Invoice date ...................... Aug 31, 2024\nBilling ID ............ 123-456-4140',
    ],
  ])('when the text is %s, then it is kept', (_, text) => {
    expect(judgeTextLayer(text).poor).toBe(false);
  });

  test.each([
    ['private-use code points', 'word '.repeat(3) + '\uE001\uE002\uE003\uE004 '.repeat(6)],
    ['control characters', '\u0003\u0004\u0005\u0006\u0007\u0008 '.repeat(5)],
    ['symbol soup', '!"#$ %&\'( )*+, -./0 1234 !"# $%&\' ()*+ ,-./ !"#$ %&\'('],
    ['Latin-1 soup', 'ÿþ¤¦ §¨©ª «¬®¯ °±²³ ´µ¶· ¸¹º» ¼½¾¿ ÀÁÂÃ'],
    ['mixed-case letter soup', 'ÛúéÀñ ÈãÊîÛá ÎÏÐÑ ÒÓÔÕÖ ×ØÙ ÚÛÜÝ ÞßÀá ÂãÄå'],
  ])('when the text is %s, then it is judged poor', (_, text) => {
    expect(judgeTextLayer(text).poor).toBe(true);
  });
});
