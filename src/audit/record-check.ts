import { createHmac, hash as oneShotHash } from 'node:crypto';
import { RecordKey } from './record-integrity';

/**
 * A record as the trail's verifier reads it in bulk: the statement renders the hashed
 * columns as the canonical text (`CANONICAL_TEXT_SQL`), so each row is a few strings to
 * parse instead of two dozen columns and three JSON documents.
 */
export interface TrailRecordRow {
  id: string;
  tenant_id: string;
  xact_id: string;
  hash: string;
  mac: string | null;
  mac_key_id: string | null;
  /** The canonical text rebuilt by the statement from the stored columns. */
  canonical: string;
}

/** The rendered text does not hash to the stored hash: check the row the generic way. */
export const RENDERING_DIFFERS = Symbol('rendering differs');

/**
 * Checks records one after the other with as little per record as `node:crypto` allows:
 * one-shot SHA-256 of the canonical text, HMAC as two one-shot hashes over buffers padded
 * with the key once, and the Merkle leaf from the stored hash written into a reused buffer.
 * Digests are strings, not Buffers: a Buffer per digest (five per record) is an ArrayBuffer
 * for the garbage collector to track, which cost as much as the hashing. Not reentrant:
 * `leaf` is the last checked record's and is overwritten by the next check.
 */
export class RecordChecker {
  /** The last record's Merkle leaf (SHA-256 of 0x00 ‖ its hash), as a binary string. */
  leaf = '';
  private readonly macs = new Map<string, HmacSha256>();
  private readonly leafInput = Buffer.alloc(33);
  /** `["audit-record","<tenant>","` — the MAC's text up to the id, the same for every record. */
  private readonly macPrefix: string;

  constructor(
    tenant: string,
    private readonly recordKeys: Map<string, RecordKey> | undefined,
  ) {
    this.macPrefix = `["audit-record",${JSON.stringify(tenant)},"`;
    for (const [id, key] of recordKeys ?? []) this.macs.set(id, new HmacSha256(key.secret));
  }

  /**
   * Why the record fails its own check (hash, then MAC); undefined when it passes;
   * RENDERING_DIFFERS when the statement's text does not give the stored hash (an edit, or
   * a value the statement renders otherwise than the service wrote it: the caller decides
   * on the full row). The tenant must have been checked by the caller.
   */
  check(r: TrailRecordRow): string | undefined | typeof RENDERING_DIFFERS {
    const stored = r.hash.length === 64 ? r.hash : r.hash.trimEnd();
    if (oneShotHash('sha256', r.canonical, 'hex') !== stored) return RENDERING_DIFFERS;
    this.setLeaf(stored);
    return this.checkMac(r, stored);
  }

  /** The MAC of a record whose hash was checked otherwise (the generic path). */
  checkMacOf(r: Omit<TrailRecordRow, 'canonical'>): string | undefined {
    const stored = r.hash.trimEnd();
    this.setLeaf(stored);
    return this.checkMac(r, stored);
  }

  /** `hash` has been matched against a digest: 64 hex digits, 32 bytes. */
  private setLeaf(hash: string): void {
    // RFC 6962 leaf: SHA-256(0x00 ‖ the 32-byte record hash); byte 0 stays 0.
    this.leafInput.write(hash, 1, 'hex');
    this.leaf = oneShotHash('sha256', this.leafInput, 'binary');
  }

  private checkMac(r: Omit<TrailRecordRow, 'canonical'>, hash: string): string | undefined {
    if (!this.recordKeys) return undefined;
    if (r.mac === null || r.mac_key_id === null) {
      return r.xact_id === '0' ? undefined : 'it has no MAC: it was not written by the service';
    }
    const hmac = this.macs.get(r.mac_key_id);
    if (!hmac) return `its MAC key ${r.mac_key_id} is unknown`;
    // The id is a uuid column and the hash was just matched as hex, so neither needs JSON
    // escaping: this is `JSON.stringify(['audit-record', tenant, id, hash])` (recordMac).
    const expected = hmac.digest(`${this.macPrefix}${r.id}","${hash}"]`);
    if (!sameText(expected, r.mac)) {
      return 'its MAC does not match: it was written or rewritten without the record key';
    }
    return undefined;
  }
}

/** Compares two texts in a time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Room for a MAC's message; tenants are short, a longer message takes `createHmac`. */
const MESSAGE_ROOM = 512;

/**
 * HMAC-SHA256 (RFC 2104) of short messages under one key, as two one-shot SHA-256 over
 * buffers padded with the key once: `createHmac` builds a new object and imports the key on
 * every call, which cost more than the record's hash itself. `record-check.spec.ts` holds it
 * equal to `createHmac`.
 */
export class HmacSha256 {
  private readonly inner = Buffer.alloc(64 + MESSAGE_ROOM);
  private readonly outer = Buffer.alloc(64 + 32);
  /** The inner input of the last message's length (a MAC's message has one length per tenant). */
  private innerInput = this.inner.subarray(0, 64);

  constructor(private readonly secret: Buffer) {
    const key = secret.length > 64 ? oneShotHash('sha256', secret, 'buffer') : secret;
    for (let i = 0; i < 64; i++) {
      this.inner[i] = (key[i] ?? 0) ^ 0x36;
      this.outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
  }

  /** The MAC of `message`, base64url. */
  digest(message: string): string {
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: what passes always fits whole.
    if (message.length * 3 > MESSAGE_ROOM) {
      return createHmac('sha256', this.secret).update(message).digest('base64url');
    }
    const length = 64 + this.inner.write(message, 64, 'utf8');
    if (this.innerInput.length !== length) this.innerInput = this.inner.subarray(0, length);
    this.outer.write(oneShotHash('sha256', this.innerInput, 'binary'), 64, 'latin1');
    return oneShotHash('sha256', this.outer, 'base64url');
  }
}
