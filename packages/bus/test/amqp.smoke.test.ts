import { createAmqpBus } from '@readur/bus';
import { currentCorrelationId, createLogger, runWithContext } from '@readur/logger';
import type { AnyEnvelope } from '@readur/contracts';
import { amqpUrl, uniqueName, waitFor } from '@readur/testkit';
import { documentUpdated } from './support/envelope.factory';

describe('amqp bus smoke', () => {
  it('when an event is published, then a subscriber gets it in its correlation context', async () => {
    const bus = createAmqpBus(
      { url: amqpUrl(), exchange: uniqueName('readur_events'), prefetch: 4 },
      { service: 'smoke', logger: createLogger('smoke', 'silent') },
    );
    const received: { envelope: AnyEnvelope; correlation?: string }[] = [];
    await bus.subscribe({
      name: uniqueName('smoke'),
      events: ['document.updated'],
      handler: (envelope) => {
        received.push({ envelope, correlation: currentCorrelationId() });
        return Promise.resolve();
      },
    });

    const envelope = documentUpdated();
    await runWithContext({ correlation_id: 'corr-1' }, () => bus.publish(envelope));
    await waitFor(() => received.length === 1, { description: 'the event' });
    await bus.close();

    expect(received[0]?.envelope.id).toBe(envelope.id);
    expect(received[0]?.correlation).toBe(envelope.correlation_id);
  });
});
