import { createHmac, randomBytes } from 'node:crypto';

/** Header carrying the delivery's timestamp and signature: `t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'x-signature';

/** A new signing secret: 256 random bits, shown once when the stream is created. */
export function newStreamSecret(): string {
  return `lss_${randomBytes(32).toString('base64url')}`;
}

/**
 * HMAC-SHA256 of `<t>.<body>` under the stream's secret (docs/log-streams.md): the
 * timestamp is signed with the body, so a receiver can refuse a replayed delivery by its age.
 */
export function signDelivery(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
