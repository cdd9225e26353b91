import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The one home of secret and password digests. Client secrets, registration access tokens and
 * the bootstrap admin secret are high-entropy secrets, not passwords: one SHA-256 is their
 * digest (`sha256:<hex>`), checked in microseconds, so a flood of failed client
 * authentications costs the server nothing noticeable. User passwords may be weak: they get
 * scrypt (`scrypt:<salt>:<hex>`), always on the libuv pool, never on the event loop. Client
 * digests stored as scrypt by earlier versions are still verified (asynchronously) and are
 * replaced by SHA-256 at the next successful check (needsRehash).
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
 * Digest of a client secret or token for storage: SHA-256. Server-made secrets have 256 bits
 * of entropy; the operator-chosen bootstrap secret must have at least 16 characters and
 * should be random too (docs/configuration.md), so a keyed or slow digest would add nothing
 * but cost on every token request.
 */
export function digestSecret(secret: string): string {
  return `sha256:${sha256(secret).toString('hex')}`;
}

/** True when a stored client digest is of an older, slow format and should be replaced. */
export function needsRehash(digest: string): boolean {
  return !digest.startsWith('sha256:');
}

/**
 * A user's password, in the scrypt format of a chosen secret. Asynchronous: scrypt runs on
 * the libuv pool, so a batch of imported users hashes in parallel off the event loop.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16).toString('hex');
  return `scrypt:${salt}:${(await scryptAsync(password, salt, 32)).toString('hex')}`;
}

/**
 * Constant-time check of a presented secret against its stored digest; scrypt digests are
 * computed on the libuv pool, so the event loop never waits for one.
 */
export async function verifySecret(secret: string, digest: string): Promise<boolean> {
  const [kind, a, b] = digest.split(':');
  let expected: Buffer;
  let actual: Buffer;
  if (kind === 'sha256' && a) {
    expected = Buffer.from(a, 'hex');
    actual = sha256(secret);
  } else if (kind === 'scrypt' && a && b) {
    expected = Buffer.from(b, 'hex');
    actual = await scryptAsync(secret, a, 32);
  } else {
    return false;
  }
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
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
