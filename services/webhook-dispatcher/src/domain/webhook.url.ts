import {
  hostOf,
  isIpLiteral,
  refusal,
  refusedAmong,
  type HostResolver,
} from '../data/address.guard';
import { webhookUrlForbidden } from './webhook.errors';
import type { WebhookSettings } from './webhook.deps';

/** How long saving a webhook waits for its host name; a slower name counts as unresolved. */
const SAVE_LOOKUP_TIMEOUT_MS = 2_000;

/** The addresses of `hostname`, or none when it fails or takes longer than `ms`. */
async function resolveWithin(
  resolver: HostResolver,
  hostname: string,
  ms: number,
): Promise<Awaited<ReturnType<HostResolver>>> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<[]>((resolve) => {
    timer = setTimeout(() => resolve([]), ms);
  });
  try {
    return await Promise.race([resolver(hostname).catch(() => []), slow]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks a user's webhook URL when it is saved: https (http only with `WEBHOOK_ALLOW_HTTP`),
 * no credentials, and the address (an IP literal, or what a host name resolves to now) must
 * be allowed. This check only fails early: a name may resolve elsewhere later (DNS
 * rebinding), so every connection checks again, on the address actually connected to. A name
 * that does not resolve yet (or not within 2 s) is accepted for the same reason.
 */
export async function assertWebhookUrl(
  raw: string,
  settings: WebhookSettings,
  resolver: HostResolver,
): Promise<string> {
  const url = new URL(raw);
  const schemes = settings.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    throw webhookUrlForbidden(
      settings.allowHttp ? 'only http and https are allowed' : 'only https is allowed',
    );
  }
  if (url.username || url.password) throw webhookUrlForbidden('credentials in the URL');

  const policy = { allowPrivate: settings.allowPrivate };
  if (isIpLiteral(url)) {
    const reason = refusal(hostOf(url), policy);
    if (reason) throw webhookUrlForbidden(`the address is ${reason}`);
    return url.toString();
  }

  const addresses = await resolveWithin(resolver, url.hostname, SAVE_LOOKUP_TIMEOUT_MS);
  const refused = refusedAmong(addresses, policy);
  if (refused) {
    throw webhookUrlForbidden(
      `${url.hostname} resolves to ${refused.address}, which is ${refused.range}`,
    );
  }
  return url.toString();
}
