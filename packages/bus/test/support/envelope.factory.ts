import { randomUUID } from 'node:crypto';
import { createEnvelope, EVENT } from '@readur/contracts';

/** A valid `document.updated` event; `step` lands in the title so order can be checked. */
export function documentUpdated(documentId: string = randomUUID(), step = 0) {
  return createEnvelope(EVENT.documentUpdated, {
    document_id: documentId,
    user_id: '00000000-0000-4000-8000-000000000001',
    title: `step ${step}`,
    labels: [],
    changes: ['title'],
    updated_at: new Date().toISOString(),
  });
}
