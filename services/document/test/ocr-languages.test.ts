import { createEnvelope, EVENT } from '@readur/contracts';
import { waitFor } from '@readur/testkit';
import { call, newUser, startHarness, upload, type Harness } from './support/document.harness';
import { textBytes } from './support/file.factory';

interface LanguagesJson {
  languages: string[];
  default: string;
}

describe('OCR languages of uploads', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
    await harness.broker.publish(
      createEnvelope(EVENT.ocrWorkerStarted, {
        worker_id: 'worker-a',
        default_languages: 'eng',
        available_languages: ['deu', 'eng', 'fra'],
        started_at: new Date().toISOString(),
      }),
    );
    await waitFor(async () => {
      const body = (await (
        await call(harness, newUser(), 'GET', '/api/ocr/languages')
      ).json()) as LanguagesJson;
      return body.languages.length === 3;
    });
  });

  afterAll(() => harness.close());

  it('when a worker announced its languages, then GET /api/ocr/languages lists them', async () => {
    const response = await call(harness, newUser(), 'GET', '/api/ocr/languages');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ languages: ['deu', 'eng', 'fra'], default: 'eng' });
  });

  it('when an upload asks for installed languages, then document.created carries them', async () => {
    const response = await upload(harness, newUser(), {
      bytes: textBytes('Rechnung Nummer 42'),
      filename: 'rechnung.txt',
      fields: { ocr_languages: 'deu+eng' },
    });

    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const created = await harness.broker.waitForEvent(
      EVENT.documentCreated,
      (envelope) => envelope.data.document_id === id,
    );
    expect(created.data.ocr_languages).toBe('deu+eng');
  });

  it('when an upload asks for a language no worker has, then 400 lists the available ones', async () => {
    const user = newUser();

    const response = await upload(harness, user, {
      bytes: textBytes('Klingon text'),
      filename: 'tlh.txt',
      fields: { ocr_languages: 'eng+tlh' },
    });

    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      code: 'UNSUPPORTED_OCR_LANGUAGE',
      details: { unsupported: ['tlh'], available: ['deu', 'eng', 'fra'] },
    });
    expect(typeof body.request_id).toBe('string');
    expect(await harness.storedFiles()).not.toContainEqual(expect.stringContaining(user.id));
  });

  it('when ocr_languages is not a list of codes, then the upload is refused as invalid', async () => {
    const response = await upload(harness, newUser(), {
      bytes: textBytes('x'),
      fields: { ocr_languages: 'English; DROP TABLE' },
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });
});
