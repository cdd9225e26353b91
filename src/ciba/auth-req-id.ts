import { randomBytes } from 'node:crypto';

/** Crockford's base32: upper-case letters and digits, no I L O U to misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 32;

/**
 * A new `auth_req_id`, which is also the COI of the flow: 160 random bits (CIBA Core §7.3
 * asks for at least 128) as 32 characters in HID's COI style (upper-case letters, digits).
 */
export function newAuthReqId(): string {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

const SHAPE = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);

/** Whether a presented value could be an auth_req_id at all (cheap refusal before SQL). */
export function isAuthReqId(value: unknown): value is string {
  return typeof value === 'string' && SHAPE.test(value);
}
