import { CROCKFORD_ALPHABET, randomCrockford } from '../common/crockford';

const LENGTH = 32;

/**
 * A new `auth_req_id`, which is also the COI of the flow: 160 random bits (CIBA Core §7.3
 * asks for at least 128) as 32 characters in HID's COI style (upper-case letters, digits).
 */
export function newAuthReqId(): string {
  return randomCrockford(LENGTH);
}

const SHAPE = new RegExp(`^[${CROCKFORD_ALPHABET}]{${LENGTH}}$`);

/** Whether a presented value could be an auth_req_id at all (cheap refusal before SQL). */
export function isAuthReqId(value: unknown): value is string {
  return typeof value === 'string' && SHAPE.test(value);
}
