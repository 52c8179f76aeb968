export {
  startWebhookDispatcher,
  userAgent,
  SERVICE,
  type RunningWebhookDispatcher,
  type WebhookDispatcherOptions,
} from './service';
export { webhookConfigShape, loadWebhookConfig, type WebhookConfig } from './config';
export { signBody } from './domain/delivery.signature';
export { WEBHOOK_EVENTS, GLOBAL_WEBHOOK_ID, PING_EVENT } from './domain/webhook.model';
export { systemResolver, type HostResolver } from './data/address.guard';
