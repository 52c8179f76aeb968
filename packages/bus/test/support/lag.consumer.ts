/**
 * A process that samples consumer lag, closes its bus and then simply returns: it must exit on
 * its own, so no lag timer outlives close(). Run with `node -r tsx/cjs lag.consumer.ts`,
 * settings in LAG_CONSUMER (JSON).
 */
import { createAmqpBus, createKafkaBus, type AmqpOptions, type KafkaOptions } from '@readur/bus';
import { createLogger } from '@readur/logger';
import { createMetrics } from '@readur/metrics';
import { waitFor } from '@readur/testkit';

interface Settings {
  transport: 'amqp' | 'kafka';
  amqp?: AmqpOptions;
  kafka?: KafkaOptions;
  subscription: string;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.LAG_CONSUMER ?? '{}') as Settings;
  const metrics = createMetrics('lag-consumer', {});
  const deps = { service: 'lag-consumer', logger: createLogger('lag-consumer', 'silent'), metrics };
  const withLag = { ...deps, lagIntervalMs: 50 };
  const bus =
    settings.transport === 'amqp'
      ? createAmqpBus(settings.amqp as AmqpOptions, withLag)
      : createKafkaBus(settings.kafka as KafkaOptions, withLag);

  await bus.subscribe({
    name: settings.subscription,
    events: ['document.updated'],
    handler: () => Promise.resolve(),
  });
  await waitFor(async () => (await metrics.busConsumerLag.get()).values.length > 0, {
    description: 'a lag sample',
    timeoutMs: 30_000,
  });
  process.stdout.write('sampled\n');

  await bus.close();
  process.stdout.write('closed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
