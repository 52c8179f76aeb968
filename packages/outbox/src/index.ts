export * from './outbox.schema';
export { writeEvent } from './outbox.writer';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox.relay';
export { handleOnce } from './inbox.handler';
