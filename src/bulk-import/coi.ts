import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet: no I, L, O or U, so an id read aloud is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const COI_LENGTH = 20;
export const COI_PATTERN = /^[0-9A-HJKMNP-TV-Z]{20}$/;

/**
 * A new COI in HID's shape (20 upper-case characters, e.g. `13U8F2URK9GC8Q9FQELR`): 100
 * random bits, so ids are unguessable and never collide in practice.
 */
export function newCoi(): string {
  const bytes = randomBytes(13); // 104 bits; the first 100 are used, 5 per character
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < COI_LENGTH) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
