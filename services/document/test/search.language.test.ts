import {
  call,
  newUser,
  startHarness,
  type Harness,
  type TestUser,
} from './support/document.harness';
import { highlighted, idsFor, indexDocument, search } from './search.support';

/**
 * What must be found: folding, hyphens, ligatures, language, numbers and codes, CJK and RTL.
 * Text arrives through real `ocr.completed` events on RabbitMQ, as from the ocr-worker.
 */
describe('search finds what people type', () => {
  let harness: Harness;
  const user: TestUser = newUser();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    harness = await startHarness();
    const add = async (name: string, spec: Parameters<typeof indexDocument>[2]) => {
      ids[name] = (await indexDocument(harness, user, spec)).id;
    };
    await add('maerz', {
      filename: 'scan-0001.txt',
      pages: ['Rechnung März 2024 für die Lieferung in die Goethestraße, Straße der Einheit 5'],
      language: 'deu',
    });
    // what an OCR engine may send: the umlaut as a and a combining diaeresis (U+0308)
    await add('decomposed', { pages: ['Lieferschein vom Ma\u0308rz 2025'], language: 'deu' });
    await add('softHyphen', {
      pages: ['Mit\u00ADarbei\u00ADterinnen und Mitarbeiter arbeiten in über 100 Ländern'],
      language: 'deu',
    });
    await add('lineBreak', {
      pages: ['The signed docu-\nment arrived with the neu-\ntral colour samples'],
    });
    await add('hyphenated', { pages: ['Please send an e-mail about our state-of-the-art press'] });
    await add('joined', { pages: ['Please send an email to the quartermaster'] });
    await add('ligature', { pages: ['See the \uFB01gure and the \uFB01les attached'] });
    await add('english', { pages: ['All invoices for the harbour were paid'], language: 'eng' });
    await add('englishSingular', { pages: ['One invoice for the lighthouse'], language: 'eng' });
    await add('german', { pages: ['Die Rechnung für den Hafen ist bezahlt'], language: 'deu' });
    await add('germanPlural', { pages: ['Alle Rechnungen der Werft'], language: 'deu' });
    await add('unknownLanguage', { pages: ['Les invoices du port'], language: 'fra' });
    await add('codes', {
      pages: [
        'Date 2024-03-15, total 14.54 EUR, ref INV-4711, contact billing@example.com, ' +
          'IBAN DE89 3704 0044 0532 0130 00 or DE89370400440532013000',
      ],
    });
    await add('nearCodes', {
      pages: ['Date 2024-03-16, total 14.55 EUR, ref INV-4712, contact billing@example.org'],
    });
    await add('japanese', { pages: ['東京都の会議資料を送付します'], language: 'jpn' });
    await add('chinese', { pages: ['我们已经收到了您的发票，谢谢'], language: 'chi_sim' });
    await add('korean', { pages: ['서울시에서 회의가 열립니다'], language: 'kor' });
    await add('arabic', { pages: ['فاتورة الكهرباء لشهر مارس مدفوعة'], language: 'ara' });
  });

  afterAll(async () => {
    await harness.close();
  });

  it.each(['März', 'marz', 'MÄRZ', 'Ma\u0308rz', 'MA\u0308RZ'])(
    'when searching %j, then "Rechnung März 2024" and the decomposed März are found',
    async (query) => {
      expect(new Set(await idsFor(harness, user, query))).toEqual(
        new Set([ids.maerz, ids.decomposed]),
      );
    },
  );

  it('when the text came decomposed, then it is stored, returned and shown in NFC', async () => {
    const composed = 'Lieferschein vom M\u00e4rz 2025';

    const result = await search(harness, user, { q: 'marz' });
    const ocr = await call(harness, user, 'GET', `/api/documents/${ids.decomposed}/ocr`);
    const stored = (await ocr.json()) as { text: string; pages: { text: string }[] };

    const hit = result.documents.find((entry) => entry.id === ids.decomposed);
    expect(hit?.snippets).toEqual([
      { text: composed, page: 1, highlights: [{ start: 17, end: 21 }] },
    ]);
    expect(highlighted(hit!.snippets[0]!)).toEqual(['M\u00e4rz']);
    expect([stored.text, stored.pages[0]?.text]).toEqual([composed, composed]);
  });

  it('when searching strasse, then Straße is found, folded by unaccent', async () => {
    expect(await idsFor(harness, user, 'strasse')).toEqual([ids.maerz]);
  });

  it('when a word holds soft hyphens, then it is found whole and shown without them', async () => {
    const result = await search(harness, user, { q: 'Mitarbeiterinnen' });

    expect(result.documents.map((hit) => hit.id)).toEqual([ids.softHyphen]);
    const snippet = result.documents[0]?.snippets[0];
    expect(snippet?.page).toBe(1);
    expect(snippet?.text).not.toContain('\u00AD');
    expect(highlighted(snippet!)).toEqual(['Mitarbeiterinnen']);
  });

  it('when searching Ländern or landern, then the German document is found', async () => {
    expect(await idsFor(harness, user, 'Ländern')).toEqual([ids.softHyphen]);
    expect(await idsFor(harness, user, 'landern')).toEqual([ids.softHyphen]);
  });

  it('when a word is broken across lines with a hyphen, then the whole word finds it', async () => {
    expect(await idsFor(harness, user, 'document')).toEqual([ids.lineBreak]);
    expect(await idsFor(harness, user, 'neutral')).toEqual([ids.lineBreak]);
  });

  it('when searching email or e-mail, then both spellings are found', async () => {
    const withoutHyphen = await idsFor(harness, user, 'email');
    const withHyphen = await idsFor(harness, user, 'e-mail');

    expect(new Set(withoutHyphen)).toEqual(new Set([ids.hyphenated, ids.joined]));
    expect(new Set(withHyphen)).toEqual(new Set([ids.hyphenated, ids.joined]));
  });

  it('when searching state of the art with or without hyphens, then the compound is found', async () => {
    expect(await idsFor(harness, user, 'state-of-the-art')).toEqual([ids.hyphenated]);
    expect(await idsFor(harness, user, 'stateoftheart')).toEqual([ids.hyphenated]);
    expect(await idsFor(harness, user, '"state of the art"')).toEqual([ids.hyphenated]);
  });

  it('when the text has ligatures, then fi finds them (NFKC)', async () => {
    expect(await idsFor(harness, user, 'figure')).toEqual([ids.ligature]);
    expect(await idsFor(harness, user, 'files')).toEqual([ids.ligature]);
  });

  it.each([
    ['invoice', ['english', 'englishSingular']],
    // the French document's "invoices" is matched as written (simple), so only the plural finds it
    ['invoices', ['english', 'englishSingular', 'unknownLanguage']],
  ])(
    'when a document is English, then %s finds both invoice and invoices (English stemming)',
    async (query, names) => {
      expect(new Set(await idsFor(harness, user, query))).toEqual(
        new Set(names.map((name) => ids[name])),
      );
    },
  );

  it.each(['Rechnung', 'Rechnungen'])(
    'when a document is German, then %s finds both Rechnung and Rechnungen (German stemming)',
    async (query) => {
      expect(new Set(await idsFor(harness, user, query))).toEqual(
        new Set([ids.german, ids.maerz, ids.germanPlural]),
      );
    },
  );

  it('when the language is unknown, then words are matched as written (simple)', async () => {
    expect(await idsFor(harness, user, 'invoices')).toEqual(
      expect.arrayContaining([ids.english, ids.unknownLanguage]),
    );
    expect(await idsFor(harness, user, 'invoice')).not.toContain(ids.unknownLanguage);
  });

  it.each([
    ['2024-03-15'],
    ['14.54'],
    ['INV-4711'],
    ['inv-4711'],
    ['billing@example.com'],
    ['DE89370400440532013000'],
    ['DE89 3704 0044 0532 0130 00'],
    ['4711'],
  ])('when searching %j as typed, then only the document holding it is found', async (query) => {
    expect(await idsFor(harness, user, query)).toEqual([ids.codes]);
  });

  it.each([
    ['会議', 'japanese'],
    ['東京都', 'japanese'],
    ['会議資料', 'japanese'],
    ['发票', 'chinese'],
    ['서울', 'korean'],
    ['회의', 'korean'],
  ])(
    'when searching %j inside text without spaces, then the trigram fallback finds it',
    async (query, name) => {
      const result = await search(harness, user, { q: query });

      expect(result.documents.map((hit) => hit.id)).toEqual([ids[name]]);
      expect(highlighted(result.documents[0]!.snippets[0]!)).toEqual([query]);
    },
  );

  it('when searching an Arabic word, then the right-to-left text is found in logical order', async () => {
    const result = await search(harness, user, { q: 'الكهرباء' });

    expect(result.documents.map((hit) => hit.id)).toEqual([ids.arabic]);
    const snippet = result.documents[0]!.snippets[0]!;
    expect(snippet.text).toBe('فاتورة الكهرباء لشهر مارس مدفوعة');
    expect(highlighted(snippet)).toEqual(['الكهرباء']);
  });
});
