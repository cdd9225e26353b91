import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The one home of secret and password digests: client secrets, registration access tokens,
 * the bootstrap admin secret and user passwords are all stored in one of the two formats
 * below and checked by verifySecret.
 */

const scryptAsync = promisify(scrypt) as (
  secret: string,
  salt: string,
  keylen: number,
) => Promise<Buffer>;

/** A server-made secret: 256 bits of randomness, URL-safe. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Digest for storage. Server-made secrets have 256 bits of entropy, so one SHA-256 is enough;
 * an operator-chosen secret (the bootstrap one) may be weak, so it gets scrypt.
 */
export function digestSecret(
  secret: string,
  strength: 'generated' | 'chosen' = 'generated',
): string {
  if (strength === 'generated') {
    return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
  }
  const salt = randomBytes(16).toString('hex');
  return `scrypt:${salt}:${scryptSync(secret, salt, 32).toString('hex')}`;
}

/**
 * A user's password, in the scrypt format of a chosen secret. Asynchronous: scrypt runs on
 * the libuv pool, so a batch of imported users hashes in parallel off the event loop.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16).toString('hex');
  return `scrypt:${salt}:${(await scryptAsync(password, salt, 32)).toString('hex')}`;
}

/** Constant-time check of a presented secret against its stored digest. */
export function verifySecret(secret: string, digest: string): boolean {
  const [kind, a, b] = digest.split(':');
  let expected: Buffer;
  let actual: Buffer;
  if (kind === 'sha256' && a) {
    expected = Buffer.from(a, 'hex');
    actual = createHash('sha256').update(secret).digest();
  } else if (kind === 'scrypt' && a && b) {
    expected = Buffer.from(b, 'hex');
    actual = scryptSync(secret, a, 32);
  } else {
    return false;
  }
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Password hashes an import may carry instead of a password, in PHC string format
 * (argon2, scrypt) or bcrypt's modular crypt format: migrated users keep the hash their old
 * system made, stored exactly as given, for the identity platform to verify (this service
 * never checks user passwords).
 */
const PASSWORD_HASH_FORMATS: readonly RegExp[] = [
  /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
  /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/,
  /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/.]+\$[A-Za-z0-9+/.]+$/,
];

/** Whether a value is a password hash an import may store as given ($argon2…, $2b$…, $scrypt$…). */
export function isImportablePasswordHash(value: string): boolean {
  return value.length <= 512 && PASSWORD_HASH_FORMATS.some((format) => format.test(value));
}
