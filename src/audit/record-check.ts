import { createHmac, hash as oneShotHash, timingSafeEqual } from 'node:crypto';
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
 * one-shot SHA-256 of the canonical text, HMAC under a key object made once per key, and
 * the Merkle leaf from the digest's bytes (no hex round trip). Not reentrant: `leaf` is the
 * last checked record's and is overwritten by the next check.
 */
export class RecordChecker {
  /** The last record's Merkle leaf (SHA-256 of 0x00 ‖ its hash), valid until the next check. */
  leaf: Buffer = Buffer.alloc(0);
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
    const digest = oneShotHash('sha256', r.canonical, 'buffer');
    const stored = r.hash.length === 64 ? r.hash : r.hash.trimEnd();
    if (digest.toString('hex') !== stored) return RENDERING_DIFFERS;
    this.setLeaf(digest);
    return this.checkMac(r, stored);
  }

  /** The MAC of a record whose hash was checked otherwise (the generic path). */
  checkMacOf(r: Omit<TrailRecordRow, 'canonical'>): string | undefined {
    const stored = r.hash.trimEnd();
    this.setLeaf(Buffer.from(stored, 'hex'));
    return this.checkMac(r, stored);
  }

  private setLeaf(recordHash: Buffer): void {
    // RFC 6962 leaf: SHA-256(0x00 ‖ the 32-byte record hash); byte 0 stays 0.
    recordHash.copy(this.leafInput, 1);
    this.leaf = oneShotHash('sha256', this.leafInput, 'buffer');
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
    const given = Buffer.from(r.mac, 'base64url');
    // base64url decoding skips what is not base64url: compare the text's form as well.
    if (
      given.length !== expected.length ||
      !timingSafeEqual(given, expected) ||
      given.toString('base64url') !== r.mac
    ) {
      return 'its MAC does not match: it was written or rewritten without the record key';
    }
    return undefined;
  }
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

  constructor(private readonly secret: Buffer) {
    const key = secret.length > 64 ? oneShotHash('sha256', secret, 'buffer') : secret;
    for (let i = 0; i < 64; i++) {
      this.inner[i] = (key[i] ?? 0) ^ 0x36;
      this.outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
  }

  digest(message: string): Buffer {
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: what passes always fits whole.
    if (message.length * 3 > MESSAGE_ROOM) {
      return createHmac('sha256', this.secret).update(message).digest();
    }
    const length = this.inner.write(message, 64, 'utf8');
    const innerHash = oneShotHash('sha256', this.inner.subarray(0, 64 + length), 'buffer');
    innerHash.copy(this.outer, 64);
    return oneShotHash('sha256', this.outer, 'buffer');
  }
}
