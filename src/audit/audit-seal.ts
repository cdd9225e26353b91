import { CompactSign, compactVerify, JWK, importJWK, KeyLike } from 'jose';
import { createHash, KeyObject } from 'node:crypto';

/** A row of `audit_seals` as the verifier and the sealer read it. */
export interface AuditSealRow {
  id: string;
  tenant_id: string;
  seq: string;
  first_xact_id: string;
  first_record_id: string;
  last_xact_id: string;
  last_record_id: string;
  record_count: number;
  previous_hash: string | null;
  root: string;
  /** ISO 8601 with milliseconds, UTC. */
  sealed: string;
  key_id: string;
  signature: string;
}

export const SEAL_JWS_TYPE = 'audit-seal+jws';

/**
 * The seal's signed content: its columns as JSON with keys in this fixed order. The seal's
 * hash (SHA-256 hex of this text) is what the next seal names as `previousHash`.
 */
export function sealPayload(s: Omit<AuditSealRow, 'signature'>): string {
  return JSON.stringify({
    v: 1,
    id: s.id,
    tenantId: s.tenant_id,
    seq: String(s.seq),
    firstXactId: s.first_xact_id,
    firstRecordId: s.first_record_id,
    lastXactId: s.last_xact_id,
    lastRecordId: s.last_record_id,
    count: s.record_count,
    previousHash: s.previous_hash,
    root: s.root,
    sealed: s.sealed,
    kid: s.key_id,
  });
}

export function sealHash(s: Omit<AuditSealRow, 'signature'>): string {
  return createHash('sha256').update(sealPayload(s)).digest('hex');
}

/** An Ed25519 JWS over the payload, stored detached (RFC 7515 appendix F): `header..signature`. */
export async function signSeal(
  s: Omit<AuditSealRow, 'signature'>,
  key: KeyObject,
): Promise<string> {
  const jws = await new CompactSign(Buffer.from(sealPayload(s)))
    .setProtectedHeader({ alg: 'EdDSA', kid: s.key_id, typ: SEAL_JWS_TYPE })
    .sign(key);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/** Public sealing keys by kid, from a JWKS. */
export async function sealingKeysFromJwks(jwks: { keys: JWK[] }): Promise<Map<string, KeyLike>> {
  const keys = new Map<string, KeyLike>();
  for (const jwk of jwks.keys) {
    if (jwk.kid && jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
      keys.set(jwk.kid, (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as KeyLike);
    }
  }
  return keys;
}

/** Whether the seal's signature verifies under the published key its `key_id` names. */
export async function sealSignatureValid(
  s: AuditSealRow,
  keys: Map<string, KeyLike>,
): Promise<boolean> {
  const key = keys.get(s.key_id);
  const [header, empty, signature] = s.signature.split('.');
  if (!key || empty !== '' || !header || !signature) return false;
  const payload = Buffer.from(sealPayload(s)).toString('base64url');
  try {
    const { protectedHeader } = await compactVerify(`${header}.${payload}.${signature}`, key, {
      algorithms: ['EdDSA'],
    });
    return protectedHeader.kid === s.key_id;
  } catch {
    return false;
  }
}
