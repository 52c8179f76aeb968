/**
 * A consumer that is meant to be SIGKILLed: it handles one event through the inbox (commits
 * its effect), reports it on stdout, then blocks before acknowledging, as if it crashed.
 * Run with `node -r tsx/cjs crash.consumer.ts`, settings in CRASH_CONSUMER (JSON).
 */
import { createAmqpBus, createKafkaBus, type AmqpOptions, type KafkaOptions } from '@readur/bus';
import { createLogger } from '@readur/logger';
import { handleOnce } from '@readur/outbox';
import { connectDatabase } from '@readur/testkit';

interface Settings {
  transport: 'amqp' | 'kafka';
  amqp?: AmqpOptions;
  kafka?: KafkaOptions;
  subscription: string;
  databaseUrl: string;
  /** Only this document's events are handled; others (earlier tests') are acknowledged. */
  documentId: string;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.CRASH_CONSUMER ?? '{}') as Settings;
  const logger = createLogger('crash-consumer', 'silent');
  const knex = connectDatabase(settings.databaseUrl);
  const deps = { service: 'crash-consumer', logger };
  const bus =
    settings.transport === 'amqp'
      ? createAmqpBus(settings.amqp as AmqpOptions, deps)
      : createKafkaBus(settings.kafka as KafkaOptions, deps);

  await bus.subscribe({
    name: settings.subscription,
    events: ['document.updated'],
    handler: async (envelope) => {
      if (envelope.event !== 'document.updated') return;
      if (envelope.data.document_id !== settings.documentId) return;

      await handleOnce(knex, settings.subscription, envelope, async (trx) => {
        await trx('effect').insert({ event_id: envelope.id });
      });
      process.stdout.write(`handled ${envelope.id}\n`);
      await new Promise(() => undefined);
    },
  });
  process.stdout.write('subscribed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
