import { randomCrockford } from '../common/crockford';

export const COI_LENGTH = 20;
export const COI_PATTERN = /^[0-9A-HJKMNP-TV-Z]{20}$/;

/**
 * A new COI in HID's shape (20 upper-case characters, e.g. `13U8F2URK9GC8Q9FQELR`): 100
 * random bits, so ids are unguessable and never collide in practice.
 */
export function newCoi(): string {
  return randomCrockford(COI_LENGTH);
}
