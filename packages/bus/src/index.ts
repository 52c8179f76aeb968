import { createAmqpBus } from './amqp.transport';
import { BusError } from './bus.error';
import type { Bus, BusConfig, BusDeps } from './bus.types';
import { createKafkaBus } from './kafka.transport';

export type * from './bus.types';
export { BusError, type BusErrorCode } from './bus.error';
export { DEFAULT_RETRY } from './retry.policy';
export { HEADER } from './message.consumer';
export { createAmqpBus, amqpQueueNames, type AmqpOptions } from './amqp.transport';
export { createKafkaBus, kafkaDeadLetterTopic, type KafkaOptions } from './kafka.transport';

/**
 * Creates the bus the config enables. Exactly one of AMQP_ENABLED and KAFKA_ENABLED must be
 * true: both or neither is a start-up error, since guessing would silently split the
 * services across two brokers.
 */
export function createBus(config: BusConfig, deps: BusDeps): Bus {
  if (config.AMQP_ENABLED === config.KAFKA_ENABLED) {
    throw new BusError(
      'BUS_CONFIG_INVALID',
      config.AMQP_ENABLED
        ? 'AMQP_ENABLED and KAFKA_ENABLED are both true; set AMQP_ENABLED=false to use Kafka'
        : 'neither AMQP_ENABLED nor KAFKA_ENABLED is true; enable one broker',
    );
  }

  if (config.KAFKA_ENABLED) {
    return createKafkaBus(
      {
        brokers: config.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
        topic: config.KAFKA_TOPIC,
        groupPrefix: config.KAFKA_CONSUMER_GROUP,
      },
      deps,
    );
  }
  return createAmqpBus(
    {
      url: config.AMQP_URL,
      exchange: config.AMQP_EXCHANGE,
      prefetch: config.AMQP_PREFETCH,
      queuePrefix: config.AMQP_QUEUE,
    },
    deps,
  );
}
