import { hash as oneShotHash } from 'node:crypto';
import { RecordKey, recordMac } from './record-integrity';

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
 * one-shot SHA-256 of the canonical text, the MAC as two one-shot hashes over buffers laid
 * out once (`RecordMacs`), and the Merkle leaf from the stored hash written into a reused buffer.
 * Digests are strings, not Buffers: a Buffer per digest (five per record) is an ArrayBuffer
 * for the garbage collector to track, which cost as much as the hashing. Not reentrant:
 * `leaf` is the last checked record's and is overwritten by the next check.
 */
export class RecordChecker {
  /** The last record's Merkle leaf (SHA-256 of 0x00 ‖ its hash), as a binary string. */
  leaf = '';
  private readonly macs = new Map<string, RecordMacs>();
  private readonly leafInput = Buffer.alloc(33);

  constructor(
    private readonly tenant: string,
    private readonly recordKeys: Map<string, RecordKey> | undefined,
  ) {
    for (const [id, key] of recordKeys ?? []) this.macs.set(id, new RecordMacs(key.secret, tenant));
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
    const macs = this.macs.get(r.mac_key_id);
    if (!macs) return `its MAC key ${r.mac_key_id} is unknown`;
    // The id is a uuid column's text (36 characters) and the hash was just matched as hex.
    const expected =
      r.id.length === UUID_LENGTH
        ? macs.digest(r.id, hash)
        : recordMac(this.recordKeys.get(r.mac_key_id)!, this.tenant, r.id, hash);
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

const UUID_LENGTH = 36;
const HASH_LENGTH = 64;

/**
 * Record MACs (`recordMac`: HMAC-SHA256 of `["audit-record","<tenant>","<id>","<hash>"]`) of
 * one tenant under one key, as two one-shot SHA-256 over buffers laid out once: the key's
 * pads and the message's fixed text are written at construction, and a record writes only
 * its id and hash (ASCII of fixed lengths) into place. `createHmac` built a new object and
 * imported the key on every call, which cost more than the record's hash itself; building
 * the message as a string cost a concatenation and a UTF-8 encoding more per record.
 * `record-check.spec.ts` holds it equal to `recordMac`.
 */
export class RecordMacs {
  private readonly inner: Buffer;
  private readonly outer = Buffer.alloc(64 + 32);
  private readonly idAt: number;
  private readonly hashAt: number;

  constructor(secret: Buffer, tenant: string) {
    const key = secret.length > 64 ? oneShotHash('sha256', secret, 'buffer') : secret;
    const prefix = Buffer.from(`["audit-record",${JSON.stringify(tenant)},"`, 'utf8');
    this.idAt = 64 + prefix.length;
    this.hashAt = this.idAt + UUID_LENGTH + 3;
    this.inner = Buffer.alloc(this.hashAt + HASH_LENGTH + 2);
    for (let i = 0; i < 64; i++) {
      this.inner[i] = (key[i] ?? 0) ^ 0x36;
      this.outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
    prefix.copy(this.inner, 64);
    this.inner.write('","', this.idAt + UUID_LENGTH, 'latin1');
    this.inner.write('"]', this.hashAt + HASH_LENGTH, 'latin1');
  }

  /** The MAC (base64url) of the record `id` (a uuid's text) with `hash` (64 hex digits). */
  digest(id: string, hash: string): string {
    this.inner.write(id, this.idAt, 'latin1');
    this.inner.write(hash, this.hashAt, 'latin1');
    this.outer.write(oneShotHash('sha256', this.inner, 'binary'), 64, 'latin1');
    return oneShotHash('sha256', this.outer, 'base64url');
  }
}
