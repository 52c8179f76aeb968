import { createBus, type BusConfig } from '@readur/bus';
import { createLogger } from '@readur/logger';

const base: BusConfig = {
  AMQP_ENABLED: true,
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  AMQP_EXCHANGE: 'readur-events',
  AMQP_PREFETCH: 16,
  KAFKA_ENABLED: false,
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_TOPIC: 'readur-events',
};
const deps = { service: 'test', logger: createLogger('test', 'silent') };

describe('createBus', () => {
  it('when only AMQP is enabled, then it picks RabbitMQ', () => {
    expect(createBus(base, deps).transport).toBe('amqp');
  });

  it('when only Kafka is enabled, then it picks Kafka', () => {
    expect(createBus({ ...base, AMQP_ENABLED: false, KAFKA_ENABLED: true }, deps).transport).toBe(
      'kafka',
    );
  });

  it('when both or neither are enabled, then it refuses to start', () => {
    expect(() => createBus({ ...base, KAFKA_ENABLED: true }, deps)).toThrow(
      'set AMQP_ENABLED=false',
    );
    expect(() => createBus({ ...base, AMQP_ENABLED: false }, deps)).toThrow('enable one broker');
  });
});
