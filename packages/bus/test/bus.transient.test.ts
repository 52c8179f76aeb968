import type { Bus } from '@readur/bus';
import type { AnyEnvelope } from '@readur/contracts';
import { waitFor } from '@readur/testkit';
import { documentUpdated } from './support/envelope.factory';
import {
  amqpFixture,
  kafkaFixture,
  subscriptionName,
  type TransportFixture,
} from './support/transport.fixture';

const fixtures: [string, () => TransportFixture][] = [
  ['RabbitMQ', amqpFixture],
  ['Kafka', kafkaFixture],
];

/** Subscribes transiently and collects the ids of the `document.updated` events it gets. */
async function transientSubscriber(bus: Bus, name: string): Promise<Set<string>> {
  const seen = new Set<string>();
  await bus.subscribe({
    name,
    events: ['document.updated'],
    transient: true,
    handler: (envelope: AnyEnvelope) => {
      seen.add(envelope.id);
      return Promise.resolve();
    },
  });
  return seen;
}

/**
 * Publishes probes until every subscriber saw one: a Kafka group that starts at the latest
 * offset may still be resolving it when `subscribe` returns.
 */
async function untilListening(publisher: Bus, subscribers: Set<string>[]): Promise<void> {
  const probes: string[] = [];
  await waitFor(
    async () => {
      const probe = documentUpdated();
      probes.push(probe.id);
      await publisher.publish(probe);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return subscribers.every((seen) => probes.some((id) => seen.has(id)));
    },
    { description: 'every transient subscriber to listen', timeoutMs: 30_000 },
  );
}

describe.each(fixtures)('transient subscriptions over %s', (_name, makeFixture) => {
  const fixture = makeFixture();

  beforeAll(() => fixture.assertReachable());
  afterAll(() => fixture.cleanup(), 90_000);

  it('when two buses subscribe transiently under one name, then both get every event', async () => {
    const name = subscriptionName('live');
    const [first, second] = [fixture.createBus(), fixture.createBus()];
    const seen = [await transientSubscriber(first, name), await transientSubscriber(second, name)];
    const publisher = fixture.createBus();
    await untilListening(publisher, seen);
    const events = [documentUpdated(), documentUpdated(), documentUpdated()];

    for (const envelope of events) await publisher.publish(envelope);

    await waitFor(() => seen.every((ids) => events.every((event) => ids.has(event.id))), {
      description: 'each event at both subscribers',
    });
  });

  it('when a transient subscriber subscribes, then it does not get events published before', async () => {
    const name = subscriptionName('late');
    const publisher = fixture.createBus();
    const early = documentUpdated();
    await publisher.publish(early);

    const seen = await transientSubscriber(fixture.createBus(), name);
    await untilListening(publisher, [seen]);

    expect(seen.has(early.id)).toBe(false);
  });

  it('when its bus closes, then the transient queue or group is gone', async () => {
    const name = subscriptionName('gone');
    const bus = fixture.createBus();
    await transientSubscriber(bus, name);
    expect(await fixture.transientNames(name)).toHaveLength(1);

    await bus.close();

    await waitFor(async () => (await fixture.transientNames(name)).length === 0, {
      description: 'the transient queue or group to disappear',
      timeoutMs: 30_000,
    });
  });
});
