import { hostOf, isIpLiteral, refusal } from '../data/address.guard';
import { webhookUrlForbidden } from './webhook.errors';
import type { WebhookSettings } from './webhook.deps';

/**
 * Checks a user's webhook URL when it is saved: https (http only with `WEBHOOK_ALLOW_HTTP`),
 * no credentials, and an IP literal must be an allowed address. A host name is checked again
 * on every connection, on the address actually connected to; this check only fails early.
 */
export function assertWebhookUrl(raw: string, settings: WebhookSettings): string {
  const url = new URL(raw);
  const schemes = settings.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    throw webhookUrlForbidden(
      settings.allowHttp ? 'only http and https are allowed' : 'only https is allowed',
    );
  }
  if (url.username || url.password) throw webhookUrlForbidden('credentials in the URL');

  if (isIpLiteral(url)) {
    const reason = refusal(hostOf(url), { allowPrivate: settings.allowPrivate });
    if (reason) throw webhookUrlForbidden(`the address is ${reason}`);
  }
  return url.toString();
}
