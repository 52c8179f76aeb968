import { createHmac } from 'node:crypto';

/** `X-Readur-Signature`: `sha256=` and the hex HMAC-SHA256 of the exact body bytes. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
