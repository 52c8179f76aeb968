import fs from 'node:fs';
import path from 'node:path';
import {
  EVENT,
  EVENT_NAMES,
  aggregateKey,
  asyncApiDocument,
  createEnvelope,
  decodeEnvelope,
  deriveEventId,
  jsonSchemaFiles,
  toLiveEvent,
  toWebhookBody,
  type EventData,
} from '@readur/contracts';

const root = path.join(__dirname, '..');
const userId = '5b0b7c5e-7f0e-4a43-9a57-2d7c8c3f6c11';
const documentId = '0f4e8a53-2b8e-4a2b-a5f4-6f4a9b3d2c10';

function ocrCompleted(): EventData<'ocr.completed'> {
  return {
    document_id: documentId,
    user_id: userId,
    title: 'Invoice',
    pages: 1,
    confidence: 91.5,
    word_count: 3,
    processing_time_ms: 120,
    language: 'eng',
    page_results: [{ page: 1, text: 'pay by friday', confidence: 91.5, method: 'ocr' }],
  };
}

describe('generated JSON Schema files', () => {
  it('match the zod source exactly (run `pnpm --filter @readur/contracts generate`)', () => {
    for (const [name, schema] of Object.entries(jsonSchemaFiles())) {
      const committed = fs.readFileSync(path.join(root, 'schemas', name), 'utf8');
      expect(JSON.parse(committed)).toEqual(schema);
    }
    const asyncapi = fs.readFileSync(path.join(root, 'asyncapi.json'), 'utf8');
    expect(JSON.parse(asyncapi)).toEqual(asyncApiDocument());
  });

  it('exist for every event and name no unknown event', () => {
    const files = fs.readdirSync(path.join(root, 'schemas')).sort();
    const expected = ['envelope.json', ...EVENT_NAMES.map((event) => `${event}.json`)].sort();
    expect(files).toEqual(expected);
  });
});

describe('envelopes', () => {
  it('when created, then they carry id, version, UTC timestamp and correlation id', () => {
    const envelope = createEnvelope(EVENT.ocrCompleted, ocrCompleted(), { correlationId: 'req-1' });

    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope.version).toBe(1);
    expect(envelope.timestamp).toMatch(/Z$/);
    expect(envelope.correlation_id).toBe('req-1');
    expect(aggregateKey(envelope)).toBe(documentId);
  });

  it('when data is invalid at publish, then creating the envelope throws', () => {
    const bad = { ...ocrCompleted(), reason: 'x', confidence: 140 };
    expect(() => createEnvelope(EVENT.ocrCompleted, bad)).toThrow();
  });

  it('when received intact, then decoding round-trips', () => {
    const envelope = createEnvelope(EVENT.ocrCompleted, ocrCompleted());

    const result = decodeEnvelope(Buffer.from(JSON.stringify(envelope)));

    expect(result).toEqual({ ok: true, envelope });
  });

  it.each([
    ['not JSON', '{oops', /not JSON/],
    [
      'an unknown event',
      JSON.stringify({ ...createEnvelope(EVENT.ocrCompleted, ocrCompleted()), event: 'x.y' }),
      /invalid envelope/,
    ],
    [
      'data of the wrong shape',
      JSON.stringify({
        ...createEnvelope(EVENT.ocrCompleted, ocrCompleted()),
        data: { pages: -1 },
      }),
      /invalid ocr.completed data/,
    ],
  ])('when a message is %s, then decoding reports why without throwing', (_, raw, message) => {
    const result = decodeEnvelope(raw);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });
});

describe('derived event ids', () => {
  it('when derived twice from the same cause, then they are equal and valid uuids', () => {
    const cause = createEnvelope(EVENT.ocrCompleted, ocrCompleted()).id;

    const first = deriveEventId(cause, EVENT.ocrCompleted);

    expect(first).toBe(deriveEventId(cause, EVENT.ocrCompleted));
    expect(first).not.toBe(deriveEventId(cause, EVENT.ocrFailed));
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(() => createEnvelope(EVENT.ocrCompleted, ocrCompleted(), { id: first })).not.toThrow();
  });
});

describe('webhook bodies', () => {
  it('when built, then they have the public shape and no internal fields', () => {
    const envelope = createEnvelope(EVENT.ocrCompleted, ocrCompleted());

    const body = toWebhookBody(envelope, 'whk_1');

    expect(Object.keys(body)).toEqual(['event', 'timestamp', 'webhook_id', 'data']);
    expect(body.data).not.toHaveProperty('page_results');
    expect(body.data).toMatchObject({ document_id: documentId, pages: 1, word_count: 3 });
  });

  it('when built for a live client, then they are the webhook body without webhook_id', () => {
    const envelope = createEnvelope(EVENT.ocrCompleted, ocrCompleted());

    const live = toLiveEvent(envelope);

    expect(Object.keys(live)).toEqual(['event', 'timestamp', 'data']);
    expect(live.data).not.toHaveProperty('page_results');
    expect(live).toEqual({ ...toWebhookBody(envelope, 'whk_1'), webhook_id: undefined });
  });
});
