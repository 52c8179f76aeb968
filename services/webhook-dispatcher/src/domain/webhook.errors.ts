import { AppError, notFound } from '@readur/errors';

/** 404 for a missing webhook and for another user's webhook alike. */
export const webhookNotFound = () => notFound('webhook');

/** 404 for a missing delivery, or one of a webhook the caller may not see. */
export const deliveryNotFound = () => notFound('delivery');

/** 400 for a URL the dispatcher will never call (scheme or address not allowed). */
export const webhookUrlForbidden = (reason: string) =>
  new AppError('WEBHOOK_URL_FORBIDDEN', `This webhook URL is not allowed: ${reason}`, 400);

/** 409 for a change to the operator's webhook, which only its environment variables set. */
export const operatorWebhook = () =>
  new AppError(
    'WEBHOOK_MANAGED_BY_OPERATOR',
    'The global webhook is configured with WEBHOOK_* variables, not through the API',
    409,
  );

/** 409 for a redelivery of a delivery that is still being tried. */
export const deliveryInProgress = () =>
  new AppError('DELIVERY_IN_PROGRESS', 'This delivery is still pending; wait for it to end', 409);

/** 409 for a ping of a disabled webhook: nothing is sent to a disabled webhook. */
export const webhookDisabled = () =>
  new AppError('WEBHOOK_DISABLED', 'This webhook is disabled; enable it first', 409);
